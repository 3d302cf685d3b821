import { spawnSync } from 'node:child_process'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { serve, type IO } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from '../support/redis.js'
import { expectRefusal, rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'
import { sleep, startServer, type TestServer } from '../support/server.js'

/**
 * DESIGN §3a: the request is the unit of work. Each test shows one thing a serverless platform
 * would lose if it ran after the answer (the platform emulator suites show it end to end).
 */
const json = { 'content-type': 'application/json' }
const ORIGIN = 'http://app.localhost'

/** A request straight into io.fetch, as a platform calls it. */
function req(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  return new Request(`${ORIGIN}/api/socket${path}`, { ...init, headers: { host: 'app.localhost', ...init.headers } })
}

async function fetchConnect(io: IO, ctx?: unknown): Promise<RawSession> {
  const res = await io.fetch(req('/connect', { method: 'POST', body: '{}', headers: json }), undefined, ctx)
  expect(res.status).toBe(200)
  return (await res.json()) as RawSession
}

function post(url: string, s: RawSession, route: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/${route}`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: JSON.stringify(body), signal })
}

let redis: RedisServer
let prefixes = 0
/** Each server its own keys on the shared redis-server, so one test's sweep sees only its sessions. */
const ownRedis = () => redisStore(redis.url, { prefix: `sl${++prefixes}` })
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(() => redis?.stop())

describe('nothing a guarantee depends on runs after the answer', () => {
  let server: TestServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
    vi.restoreAllMocks()
  })

  it('a message sent without ack: its handler and the writes it started (awaited or not) are done when the POST answers', async () => {
    const ran: string[] = []
    server = await startServer({ store: ownRedis() }, (io) =>
      io.onMessage('note', async (socket, text: string) => {
        await sleep(150)
        void socket.emit('echo', text) // not awaited: still part of this message
        ran.push(text)
      }),
    )
    const s = await rawConnect(server.url)
    const res = await post(server.url, s, 'message', { messages: [{ id: 1, event: 'note', data: 'hello' }] })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ acks: [] })
    // Right at the answer: the handler ran and its emit is in the session's log.
    expect(ran).toEqual(['hello'])
    const log = await server.io.store.read(`d:${s.sid}`, 0, 10)
    expect(log.entries.map((e) => e.data)).toContain('{"e":"echo","d":"hello"}')
  })

  it('a retry of a POST whose answer was lost while its 16 s handler still runs gets the real ack, never INTERRUPTED; the handler runs once', async () => {
    let runs = 0
    server = await startServer({ store: ownRedis() }, (io) =>
      io.onMessage('slow', async (_socket, n: number) => {
        runs++
        await sleep(16_000)
        return n * 2
      }),
    )
    const s = await rawConnect(server.url)
    const body = { messages: [{ id: 1, event: 'slow', data: 21, ack: true }] }
    // The first answer is lost: the client gives up on it (the server keeps running the handler).
    const lost = new AbortController()
    const first = post(server.url, s, 'message', body, lost.signal).catch((err: Error) => err)
    await sleep(300)
    lost.abort()
    expect(await first).toBeInstanceOf(Error)
    // The client retries, honouring Retry-After, until it has an answer.
    const statuses: number[] = []
    let reply: unknown
    for (let i = 0; i < 12 && reply === undefined; i++) {
      const res = await post(server.url, s, 'message', body)
      statuses.push(res.status)
      if (res.status === 200) reply = await res.json()
      else await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000)
    }
    console.log(`[lease] retry statuses: ${statuses.join(',')}`)
    expect(reply).toEqual({ acks: [{ id: 1, data: 42 }] })
    expect(runs).toBe(1)
    expect(statuses.filter((x) => x !== 200 && x !== 503)).toEqual([])
  }, 40_000)

  it('with no sweepInterval, requests create no timer that outlives them; a long-lived server that asks for one gets it', async () => {
    const created: unknown[] = []
    const cleared = new Set<unknown>()
    const setInterval = globalThis.setInterval
    const clearInterval = globalThis.clearInterval
    const intervals = vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
      const handle = setInterval(fn, ms)
      created.push(handle)
      return handle
    }) as typeof globalThis.setInterval)
    vi.spyOn(globalThis, 'clearInterval').mockImplementation((handle) => {
      cleared.add(handle)
      clearInterval(handle as Parameters<typeof clearInterval>[0])
    })
    const outliving = () => created.filter((h) => !cleared.has(h)).length
    const io = serve({ inspector: { token: 'x'.repeat(24) } })
    io.onMessage('hi', () => 'there')
    const s = await fetchConnect(io)
    const res = await io.fetch(
      req('/message', { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: JSON.stringify({ messages: [{ id: 1, event: 'hi', ack: true }] }) }),
    )
    expect(await res.json()).toEqual({ acks: [{ id: 1, data: 'there' }] })
    await io.fetch(req('/disconnect', { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: '{}' }))
    expect(outliving()).toBe(0)
    await io.close()

    const asked = serve({ sweepInterval: 5000 })
    await fetchConnect(asked)
    expect(outliving()).toBe(1)
    await asked.close()
    expect(outliving()).toBe(0)
    expect(intervals).toHaveBeenCalled()
  })

  it("io.fetch(request, env, ctx) hands optional inspector work to the platform's waitUntil; without one it is written within the request", async () => {
    const io = serve({ inspector: { token: 'y'.repeat(24) } })
    io.onMessage('hi', () => 'there')
    const given: Promise<unknown>[] = []
    const ctx = { waitUntil: (p: Promise<unknown>) => void given.push(p) }
    const s = await fetchConnect(io, ctx)
    const message = () =>
      req('/message', { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: JSON.stringify({ messages: [{ id: ++n, event: 'hi', ack: true }] }) })
    let n = 0
    await io.fetch(message(), undefined, ctx)
    expect(given.length).toBeGreaterThan(0)
    await Promise.all(given)
    // Every 10 s bucket since the test began (the test may cross a bucket's end).
    const first = Math.floor(Date.now() / 10_000) - 1
    const counted = async () => {
      const buckets = Array.from({ length: Math.floor(Date.now() / 10_000) - first + 1 }, (_, i) => String(first + i))
      return (await io.store.readMetrics(buckets)).reduce((sum, m) => sum + (m?.in ?? 0), 0)
    }
    expect(await counted()).toBe(1)
    // Netlify passes its context second: its waitUntil is found there too.
    given.length = 0
    await io.fetch(message(), ctx)
    expect(given.length).toBeGreaterThan(0)
    await Promise.all(given)
    // No waitUntil anywhere: the count is in the store when the answer comes (at most once a second).
    await sleep(1100)
    await io.fetch(message())
    expect(await counted()).toBe(3)
    await io.close()
  })
})

describe('disconnect detection without timers', () => {
  let server: TestServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('the cron route: 404 without a secret, 401 with a wrong one, and with it every vanished session is ended, onDisconnect done, before the answer', async () => {
    const ended: string[] = []
    const onDisconnect = (io: IO) =>
      io.onDisconnect(async (socket, reason) => {
        await sleep(100)
        ended.push(`${socket.id}:${reason}`)
      })
    server = await startServer({ store: ownRedis() }, onDisconnect)
    await expectRefusal(await fetch(`${server.url}/_sweep`), 404, 'NOT_FOUND')
    await server.close()

    server = await startServer({ store: ownRedis(), cronSecret: 'cron-secret-1', disconnectTimeout: 300 }, onDisconnect)
    const gone = await rawConnect(server.url)
    await expectRefusal(await fetch(`${server.url}/_sweep`), 401, 'UNAUTHORIZED')
    await expectRefusal(await fetch(`${server.url}/_sweep`, { headers: { authorization: 'Bearer wrong' } }), 401, 'UNAUTHORIZED')
    await sleep(400)
    const res = await fetch(`${server.url}/_sweep`, { headers: { authorization: 'Bearer cron-secret-1' } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ended: 1 })
    expect(ended).toEqual([`${gone.sid}:ping timeout`])
    const again = await fetch(`${server.url}/_sweep`, { method: 'POST', headers: { authorization: 'Bearer cron-secret-1' } })
    expect(await again.json()).toEqual({ ended: 0 })
    expect(ended).toHaveLength(1)
  })

  it('a sweep that falls due in a request is finished, onDisconnect included, before that request answers', async () => {
    const ended: string[] = []
    server = await startServer({ store: ownRedis(), disconnectTimeout: 300 }, (io) =>
      io.onDisconnect(async (socket) => {
        await sleep(200)
        ended.push(socket.id)
      }),
    )
    const gone = await rawConnect(server.url)
    await sleep(1200) // past disconnectTimeout and the instance's sweep spacing (1 s)
    await rawConnect(server.url) // any request
    expect(ended).toEqual([gone.sid])
  })
})

describe('the memory store on a serverless platform', () => {
  it.each([
    ['VERCEL', '1', 'Vercel'],
    ['NETLIFY', 'true', 'Netlify'],
    ['AWS_LAMBDA_FUNCTION_NAME', 'fn', 'AWS Lambda'],
  ])('with %s set, serve() without a store says at the first request, once, that messages will be lost', (name, value, platform) => {
    const script = `
      import { serve } from 'socket-serve'
      const io = serve()
      const connect = () => io.fetch(new Request('http://a.localhost/api/socket/connect', { method: 'POST', body: '{}', headers: { host: 'a.localhost' } }))
      console.error('before the first request')
      await connect(); await connect()
    `
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: `${process.cwd()}/test`,
      env: { ...process.env, [name]: value, REDIS_URL: '' },
      encoding: 'utf8',
    })
    expect(run.status).toBe(0)
    const lines = run.stderr.split('\n').filter((l) => l.includes('WILL be lost'))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(platform)
    expect(run.stderr.indexOf('before the first request')).toBeLessThan(run.stderr.indexOf('WILL be lost'))
  })

  it('on a long-lived server it says nothing', () => {
    const script = `
      import { serve } from 'socket-serve'
      const io = serve()
      await io.fetch(new Request('http://a.localhost/api/socket/connect', { method: 'POST', body: '{}', headers: { host: 'a.localhost' } }))
    `
    const env = { ...process.env }
    for (const k of ['VERCEL', 'NETLIFY', 'NETLIFY_DEV', 'AWS_LAMBDA_FUNCTION_NAME']) delete env[k]
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: `${process.cwd()}/test`, env, encoding: 'utf8' })
    expect(run.status).toBe(0)
    expect(run.stderr).not.toContain('WILL be lost')
  })
})

describe('per-message claims', () => {
  let server: TestServer | undefined
  let flaky: RedisServer | undefined
  afterEach(async () => {
    await server?.close()
    await flaky?.destroy()
    server = flaky = undefined
  })

  it('one handler of a batch failing on a store outage answers 503; the retry runs only that one again, the finished one is answered from its record', async () => {
    flaky = await startRedis({ appendonly: true, args: ['--appendfsync', 'always'] })
    const runs = { fast: 0, stateful: 0 }
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    server = await startServer({ store: redisStore(flaky.url) }, (io) => {
      io.onMessage('fast', (_socket, n: number) => {
        runs.fast++
        return n + 1
      })
      io.onMessage('stateful', async (socket, n: number) => {
        runs.stateful++
        if (runs.stateful === 1) await gate
        await socket.set('n', n)
        return n * 2
      })
    })
    const s = await rawConnect(server.url)
    const body = { messages: [{ id: 1, event: 'fast', data: 1, ack: true }, { id: 2, event: 'stateful', data: 5, ack: true }] }
    const first = post(server.url, s, 'message', body)
    await sleep(200) // 'fast' is done, 'stateful' waits at its gate
    await flaky.kill9()
    release()
    await sleep(500)
    await flaky.start()
    const res = await first
    await expectRefusal(res, 503, 'STORE_UNAVAILABLE')
    let retry = await post(server.url, s, 'message', body)
    for (let i = 0; retry.status === 503 && i < 10; i++) {
      await sleep(500)
      retry = await post(server.url, s, 'message', body)
    }
    expect(retry.status).toBe(200)
    expect(await retry.json()).toEqual({ acks: [{ id: 1, data: 2 }, { id: 2, data: 10 }] })
    expect(runs).toEqual({ fast: 1, stateful: 2 })
  })
})
