// Delivery guarantees the client keeps on every path (issue 13, client half): patient
// reconnection by default, gaps reported while connected, only a kick stops the client, bursts
// split to what the server accepts, and refusals that reach the application. Real servers
// (in-process node:http, or a server process on Redis), the real client SDK, defaults only
// except for the option a test is about.
import { describe, expect, it } from 'vitest'
import { connect, type ClientSocket, type SocketServeError } from '@socket-serve/client'
import { startApp } from '../support/runtimes.js'
import { CLUSTER_APP } from '../support/instances.js'
import { startRedis } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'
import { transports } from '../support/transports.js'
import { serve } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { cleanupsAfterEach } from '../support/cleanups.js'

const cleanups = cleanupsAfterEach()

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args)
  cleanups.push(() => s.close())
  return s
}

function open(url: string, opts: Parameters<typeof connect>[1] = {}): Promise<ClientSocket> {
  const socket = connect(url, opts)
  cleanups.push(() => socket.disconnect())
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)))
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** A fetch that can hold the client's receive requests (SSE or poll): a client that reads late. */
function gatedFetch() {
  let gate: Promise<void> | undefined
  let release = () => {}
  let held = 0
  const fetch = async (input: string, init?: RequestInit) => {
    if (gate && /\/(sse|poll)(\?|$)/.test(input)) {
      held++
      await gate
    }
    return globalThis.fetch(input, init)
  }
  return {
    fetch,
    get held() {
      return held
    },
    hold() {
      gate = new Promise((r) => (release = r))
      held = 0
    },
    open() {
      gate = undefined
      release()
    },
  }
}

describe('default reconnection', () => {
  it('survives a 12 s server outage: reconnects and gets what was emitted meanwhile', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.destroy())
    const env = { REDIS_URL: redis.url }
    let app = await startApp('node', CLUSTER_APP, { env })
    const port = app.port
    cleanups.push(() => app.stop())
    // Another server process on the same Redis (cron, webhook): it emits while the instance is down.
    const other = serve({ store: redisStore(redis.url) })
    cleanups.push(() => other.close())

    const socket = await open(`http://127.0.0.1:${port}/api/socket`) // the defaults
    const id = socket.id!
    await socket.emitWithAck('join', { room: 'lobby' })
    const got: number[] = []
    socket.on('msg', (m: { n: number }) => got.push(m.n))
    const failed: string[] = []
    socket.on('reconnect_failed', () => failed.push('reconnect_failed'))

    await app.stop()
    await until(() => !socket.connected, 'the client to notice the outage')
    for (let n = 0; n < 5; n++) await other.to('lobby').emit('msg', { n })
    await sleep(12_000)
    app = await startApp('node', CLUSTER_APP, { env, port })

    await until(() => socket.connected && got.length === 5, 'reconnect and replay', 20_000)
    expect(failed).toEqual([])
    expect(socket.id).toBe(id)
    expect(got).toEqual(range(5))
  }, 60_000)
})

describe.each(transports)('gaps over $name', ({ transports: only }) => {
  it('a resumed receive request that lost entries sets recovered = false and emits gap, without a disconnect', async () => {
    // A small replay window and short streams: entries are trimmed while the client is away.
    const s = await server({ maxLogLength: 5, maxStreamDuration: 1000 })
    const gate = gatedFetch()
    const socket = await open(s.url, { transports: only, fetch: gate.fetch })
    const got: number[] = []
    socket.on('n', (n: number) => got.push(n))
    const events: string[] = []
    for (const e of ['disconnect', 'connect']) socket.on(e, () => events.push(e))
    const gaps: { keys: string[] }[] = []
    socket.on('gap', (info) => gaps.push(info))
    const [remote] = await s.io.fetchSockets()
    await sleep(200) // polling: the long poll after the first one is open

    gate.hold()
    await remote!.emit('n', 0) // ends the open poll; SSE streams end by maxStreamDuration
    await until(() => gate.held > 0 && got.length === 1, 'the next receive request to wait')
    // More than the log keeps (5) and than an instance keeps of the notifications it saw (64 per
    // log, which a warm instance serves a returning poll or stream from): entries really are lost.
    for (let n = 1; n < 100; n++) await remote!.emit('n', n)
    gate.open()

    await until(() => gaps.length > 0, 'a gap event')
    await until(() => got.includes(99), 'the newest message')
    expect(socket.recovered).toBe(false)
    expect(gaps[0]!.keys).toBeInstanceOf(Array)
    expect(got.length).toBeLessThan(100) // entries were really lost, and the client said so
    expect(got).toEqual([...got].sort((a, b) => a - b)) // what did arrive came once, in order
    expect(new Set(got).size).toBe(got.length)
    expect(events).toEqual([])
    expect(socket.connected).toBe(true)
  })
})

describe('server-side session endings', () => {
  it('a disconnect frame that is not a kick (ping timeout) makes the client reconnect', async () => {
    // recoveryWindow 0: the ending is final, so the server tells the open stream (a recoverable
    // ending sends nothing: the stream's next heartbeat revives the session).
    const s = await server({ recoveryWindow: 0 }, (io) => io.onMessage('echo', (_s, d) => d))
    const socket = await open(s.url)
    const reasons: string[] = []
    socket.on('disconnect', (r) => reasons.push(r))
    let connects = 0
    socket.on('connect', () => connects++)

    expect(await s.io.core.endSession(socket.id!, 'ping timeout', 'ping timeout')).toBe(true)
    await until(() => connects === 1 && socket.connected, 'the client to come back')
    expect(reasons).toEqual(['ping timeout'])
    expect(await socket.emitWithAck('echo', 'still here')).toBe('still here')
  })

  it('a kick (io server disconnect) stops the client', async () => {
    const s = await server({}, (io) => io.onMessage('kick', (sock) => void sock.disconnect()))
    const socket = await open(s.url)
    const reasons: string[] = []
    socket.on('disconnect', (r) => reasons.push(r))
    socket.emit('kick')
    await until(() => reasons.length === 1, 'the disconnect event')
    await sleep(1500)
    expect(reasons).toEqual(['io server disconnect'])
    expect(socket.active).toBe(false)
  })
})

describe('emits the server must see, or the app must hear about', () => {
  it('a burst of 2,500 emits without ack in one tick reaches the handler exactly once, in order', async () => {
    const got: number[] = []
    const s = await server({}, (io) => io.onMessage('n', (_s, n: number) => void got.push(n)))
    const socket = await open(s.url)
    const errors: string[] = []
    socket.on('error', (err) => errors.push(err.code))
    for (let n = 0; n < 2500; n++) socket.emit('n', n)
    await until(() => got.length >= 2500 || errors.length > 0, 'every message')
    await sleep(200) // a duplicate would land here
    expect(errors).toEqual([])
    expect(got).toEqual(range(2500))
  })

  it('a burst past the rate limit is deferred by the server and sent again: every message runs once, in order', async () => {
    const got: number[] = []
    const s = await server({ rateLimit: { messages: 20, interval: 1000 } }, (io) => io.onMessage('n', (_s, n: number) => void got.push(n)))
    const socket = await open(s.url)
    const errors: string[] = []
    socket.on('error', (err) => errors.push(err.code))
    const acks: Promise<unknown>[] = []
    for (let n = 0; n < 50; n++) {
      if (n % 10 === 9) acks.push(socket.emitWithAck('n', n, { timeout: 20_000 }))
      else socket.emit('n', n)
    }
    await Promise.all(acks)
    await until(() => got.length >= 50, 'every message')
    await sleep(200)
    expect(errors).toEqual([])
    expect(got).toEqual(range(50))
  })

  it('an emit without ack that the server refuses gives an error event; later emits go on', async () => {
    const got: string[] = []
    const s = await server({ maxPayload: 2000 }, (io) => io.onMessage('m', (_s, d: string) => void got.push(d.slice(0, 5))))
    const socket = await open(s.url)
    const errors: { code: string; event: string }[] = []
    socket.on('error', (err: SocketServeError, info) => errors.push({ code: err.code, event: info.event }))
    socket.emit('m', 'large'.repeat(1000))
    await until(() => errors.length > 0, 'an error event')
    expect(errors).toEqual([{ code: 'PAYLOAD_TOO_LARGE', event: 'm' }])
    socket.emit('m', 'small')
    await until(() => got.length > 0, 'the next emit')
    expect(got).toEqual(['small'])
  })
})

describe('a slow handler holds back no later emit (issue 13, item 7)', () => {
  it('with the defaults, a 3 s acked handler does not delay a later emit: its handler starts and its ack arrives first', async () => {
    const events: string[] = []
    const s = await server({}, (io) => {
      io.onMessage('slow', async (_s, n: number) => {
        events.push(`start slow ${n}`)
        await sleep(3000)
        return n
      })
      io.onMessage('fast', (_s, n: number) => {
        events.push(`start fast ${n}`)
        return n
      })
    })
    const socket = await open(s.url) // the defaults, on both sides
    const slow = socket.emitWithAck('slow', 1, { timeout: 20_000 }).then((n) => events.push(`ack slow ${n}`))
    await until(() => events.includes('start slow 1'), 'the slow handler to start')
    const fast = [2, 3].map((n) => socket.emitWithAck('fast', n, { timeout: 20_000 }).then((m) => events.push(`ack fast ${m}`)))
    await Promise.all([slow, ...fast])
    // Before: the later emits waited for the slow POST's answer (start slow, ack slow, start fast...).
    expect(events).toEqual(['start slow 1', 'start fast 2', 'start fast 3', 'ack fast 2', 'ack fast 3', 'ack slow 1'])
  })
})
