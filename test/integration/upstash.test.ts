// serve({ store: upstashStore(...) }) end to end: real clients over HTTP, the store speaking the
// Upstash REST protocol to the test REST server (test/support/upstash-server.ts) in front of a
// real redis-server. The store itself passes store-conformance.test.ts; here, what users see.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import type { IO, ServeOptions } from 'socket-serve'
import { upstashStore } from 'socket-serve/upstash'
import { ROOT } from '../support/paths.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer as startTestServer, until, type TestServer } from '../support/server.js'
import { transports } from '../support/transports.js'
import { startUpstashServer, type UpstashServer } from '../support/upstash-server.js'

let redis: RedisServer
let rest: UpstashServer
let n = 0
beforeAll(async () => {
  redis = await startRedis()
  rest = await startUpstashServer({ redisPort: redis.port })
})
afterAll(async () => {
  await rest?.close()
  await redis?.stop()
})

const store = () => upstashStore({ url: rest.url, token: rest.token, prefix: `up${process.pid}x${++n}` })

describe.each(transports)('Upstash store over $name', ({ transports: only }) => {
  let server: TestServer | undefined
  const clients: ClientSocket[] = []
  const startServer = (options: ServeOptions = {}, setup?: (io: IO) => void) => startTestServer({ store: store(), ...options }, setup)

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    rest.setDown(false)
    await server?.close()
    server = undefined
  })

  async function open(url = server!.url): Promise<ClientSocket> {
    const socket = connect(url, { transports: only, reconnectionDelay: 50, reconnectionDelayMax: 200 })
    clients.push(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    return socket
  }

  it('connects, and onConnect emits reach the client', async () => {
    server = await startServer({}, (io) => io.onConnect((s) => s.emit('welcome', { id: s.id })))
    const welcomes: unknown[] = []
    const socket = connect(server.url, { transports: only })
    clients.push(socket)
    socket.on('welcome', (d: unknown) => welcomes.push(d))
    await until(() => welcomes.length === 1, 'welcome')
    expect(welcomes).toEqual([{ id: socket.id }])
    expect(socket.transport).toBe(only[0])
  })

  it('answers emits with acks, each message run once', async () => {
    let runs = 0
    server = await startServer({}, (io) => {
      io.onMessage('double', (_s, x: number) => {
        runs++
        return x * 2
      })
    })
    const socket = await open()
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => socket.emitWithAck('double', i)))
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i * 2))
    expect(runs).toBe(20)
  })

  it('broadcasts in a room between two clients on two instances, skipping the sender', async () => {
    // Two servers on one store backend: delivery crosses instances through the SSE subscription.
    const prefix = `up${process.pid}x${++n}`
    const setup = (io: IO) => {
      io.onMessage('join', async (s, room: string) => void (await s.join(room)))
      io.onMessage('say', async (s, { room, text }: { room: string; text: string }) => void (await s.to(room).emit('said', text)))
    }
    server = await startTestServer({ store: upstashStore({ url: rest.url, token: rest.token, prefix }) }, setup)
    const other = await startTestServer({ store: upstashStore({ url: rest.url, token: rest.token, prefix }) }, setup)
    try {
      const a = await open(server.url)
      const b = await open(other.url)
      const got = new Map<ClientSocket, string[]>([
        [a, []],
        [b, []],
      ])
      for (const s of [a, b]) s.on('said', (t: string) => got.get(s)!.push(t))
      await a.emitWithAck('join', 'blue')
      await b.emitWithAck('join', 'blue')
      for (let i = 0; i < 10; i++) await a.emitWithAck('say', { room: 'blue', text: `a${i}` })
      await b.emitWithAck('say', { room: 'blue', text: 'b0' })
      await until(() => got.get(b)!.length === 10 && got.get(a)!.length === 1, 'room messages')
      await sleep(200) // duplicates would land here
      expect(got.get(b)).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`))
      expect(got.get(a)).toEqual(['b0'])
    } finally {
      for (const c of clients.splice(0)) c.disconnect()
      await other.close()
    }
  })

  it('resumes across stream cuts: every message once, in order', async () => {
    let io!: IO
    server = await startServer({ maxStreamDuration: 400 }, (x) => (io = x))
    const socket = await open()
    const got: number[] = []
    socket.on('n', (i: number) => got.push(i))
    const target = (await io.fetchSocket(socket.id!))!
    for (let i = 0; i < 60; i++) {
      await target.emit('n', i)
      await sleep(25) // 1.5 s of sending: several cuts in between
    }
    await until(() => got.length >= 60, 'all messages')
    await sleep(300)
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i))
  })

  it('answers 503 STORE_UNAVAILABLE while the REST service is down, and works again after', async () => {
    server = await startServer()
    rest.setDown(true)
    const res = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('STORE_UNAVAILABLE')
    expect(res.headers.get('retry-after')).toBe('1')
    rest.setDown(false)
    const ok = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(ok.status).toBe(200)
  })
})

describe('Upstash store: edge runtimes', () => {
  it('imports nothing but its own modules (no node:, no ioredis), and sends nothing until used', async () => {
    // Workers and Edge have fetch but no Node built-ins: walk the built module graph.
    const seen = new Set<string>()
    const foreign: string[] = []
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
        if (spec!.startsWith('.')) visit(join(dirname(file), spec!))
        else foreign.push(spec!)
      }
    }
    visit(join(ROOT, 'handler/dist/upstash.js'))
    expect(seen.size).toBeGreaterThan(4)
    expect(foreign).toEqual([])
    // Workers refuse I/O outside a request: creating the store must not send anything.
    const before = rest.requests
    const s = store()
    await sleep(100)
    expect(rest.requests).toBe(before)
    await s.close()
  })
})

describe('Upstash store: the subscribe stream', () => {
  let server: TestServer | undefined
  const clients: ClientSocket[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
    server = undefined
  })

  it('holds one subscribe stream per instance, however many clients stream', async () => {
    const before = rest.streams
    server = await startTestServer({ store: store() })
    for (let i = 0; i < 10; i++) {
      const socket = connect(server.url, { transports: ['sse'] })
      clients.push(socket)
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    }
    expect(server.io.hub.streamCount).toBe(10)
    expect(rest.streams - before).toBe(1)
  })

  it('with a subscription per listener (as on Workers), each listener hears its exact channel only, and its stream closes with it', async () => {
    const s = upstashStore({ url: rest.url, token: rest.token, prefix: `up${process.pid}x${++n}`, subscriptionPerListener: true })
    const subscribes = rest.counts.get('PSUBSCRIBE') ?? 0
    const heard: string[] = []
    // A room name with glob characters: its listener still hears that room only.
    const star = s.subscribe('r:a*', (e) => heard.push(`a*:${e?.data}`))
    const plain = s.subscribe('r:ab', (e) => heard.push(`ab:${e?.data}`))
    await Promise.all([star.ready, plain.ready])
    expect((rest.counts.get('PSUBSCRIBE') ?? 0) - subscribes).toBe(2)
    const open = rest.streams
    await s.append('r:ab', 'to-ab', undefined, { ttl: 60, maxLogLength: 100 })
    await s.append('r:a*', 'to-star', undefined, { ttl: 60, maxLogLength: 100 })
    await until(() => heard.length >= 2, 'both notifications')
    await sleep(200)
    expect(heard.sort()).toEqual(['a*:to-star', 'ab:to-ab'])
    star.unsubscribe()
    plain.unsubscribe()
    await until(() => rest.streams <= open - 2, 'both subscribe streams closed at once')
    await s.close()
  })

  it('a dropped subscribe stream comes back, and what was appended meanwhile still arrives', async () => {
    let io!: IO
    server = await startTestServer({ store: store() }, (x) => (io = x))
    const socket = connect(server.url, { transports: ['sse'] })
    clients.push(socket)
    const got: string[] = []
    socket.on('m', (t: string) => got.push(t))
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    await io.emit('m', 'before')
    await until(() => got.length === 1, 'first message')
    const subscribes = rest.counts.get('PSUBSCRIBE') ?? 0
    rest.dropStreams()
    // Published while no subscription listens: only the resync after the reconnect delivers it
    // (the client's stream stays open; the next heartbeat is 25 s away).
    await io.emit('m', 'during')
    await until(() => (rest.counts.get('PSUBSCRIBE') ?? 0) > subscribes, 'the resubscribe')
    await until(() => got.length === 2, 'the message appended during the drop', 5_000)
    await io.emit('m', 'after')
    await until(() => got.length === 3, 'a message after the reconnect')
    await sleep(200)
    expect(got).toEqual(['before', 'during', 'after'])
  })
})

describe('Upstash store: REST commands of idle clients', () => {
  let server: TestServer | undefined
  const clients: ClientSocket[] = []
  afterAll(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
  })

  it('an idle SSE client costs a few commands a minute (default pingInterval): no polling', async () => {
    const N = 20
    server = await startTestServer({ store: store() })
    const pingInterval = server.io.core.opts.pingInterval
    for (let i = 0; i < N; i++) {
      const socket = connect(server.url, { transports: ['sse'] })
      clients.push(socket)
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    }
    await sleep(500) // the streams' opening reads are done
    // Scripts are cached on the server from their first run on: measure the steady state.
    await server.io.store.keepAlive(['warm-up'], Date.now(), 0)
    // One keep-alive period (one heartbeat: 25 s at the defaults), ending just after the
    // first keep-alive (one script for every stream of the instance; a sweep only when the
    // keep-alive says one would find work).
    rest.resetCounts()
    const start = Date.now()
    const { disconnectTimeout } = server.io.core.opts
    await until(() => (rest.counts.get('EVALSHA') ?? 0) >= 1, 'the keep-alive', disconnectTimeout + 10_000)
    await sleep(500)
    const windowMs = Math.max(pingInterval, Date.now() - start)
    const byCommand = Object.fromEntries(rest.counts)
    const total = [...rest.counts.values()].reduce((a, b) => a + b, 0)
    const perClientMinute = (total / N) * (60_000 / windowMs)
    const requestsPerMinute = rest.requests * (60_000 / windowMs)
    console.log(
      `[upstash-cost] ${N} idle SSE clients, pingInterval ${pingInterval} ms, one heartbeat period: ${JSON.stringify(byCommand)} ` +
        `= ${total} commands in ${rest.requests} requests -> ${perClientMinute.toFixed(2)} commands per idle client-minute, ` +
        `${requestsPerMinute.toFixed(1)} requests per instance-minute`,
    )
    // Every client is still connected and nothing was re-read: a per-connection poll would cost
    // at least one read per client per period.
    expect(clients.every((c) => c.connected)).toBe(true)
    expect(rest.counts.get('PSUBSCRIBE') ?? 0).toBe(0)
    expect(rest.counts.get('EVAL') ?? 0).toBe(0)
    expect(total).toBeLessThanOrEqual(3) // one keep-alive for all 20 streams (before: a touch and a ZADD per client)
    expect(perClientMinute).toBeLessThan(1)
  })
})

describe('Upstash billed commands (the REST server counts every command it runs; a script is one)', () => {
  let server: TestServer | undefined
  const clients: ClientSocket[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
    server = undefined
  })

  async function crowd(n: number, transport: 'sse' | 'polling', room: string, got: Map<ClientSocket, unknown[]>) {
    const joined: ClientSocket[] = []
    for (let i = 0; i < n; i++) {
      const c = connect(server!.url, { transports: [transport] })
      clients.push(c)
      joined.push(c)
      got.set(c, [])
      c.on('msg', (m: unknown) => got.get(c)!.push(m))
    }
    await until(() => joined.every((c) => c.connected), `${n} clients to connect`, 20_000)
    for (const c of joined) await (await server!.io.fetchSocket(c.id!))!.join(room)
    return joined
  }

  const billed = () => [...rest.counts.values()].reduce((a, b) => a + b, 0)

  it('an acked client message costs 2 commands, and a room broadcast 1 whatever its size, over SSE and polling', async () => {
    server = await startTestServer({ store: store() })
    server.io.onMessage('add', (_s, x: number) => x + 1)
    const got = new Map<ClientSocket, unknown[]>()
    const [sender] = await crowd(1, 'sse', 'solo', got)
    await sender!.emitWithAck('add', 0) // scripts cached on the service from here on
    rest.resetCounts()
    for (let i = 0; i < 10; i++) expect(await sender!.emitWithAck('add', i)).toBe(i + 1)
    const perMessage = billed() / 10
    console.log(`[upstash-cost] 10 acked client messages: ${JSON.stringify(Object.fromEntries(rest.counts))} -> ${perMessage} commands each`)
    expect(perMessage).toBeLessThanOrEqual(2.1) // claim + finish (a keep-alive may fall in); before: HGETALL, claim, touch, ZADD, finish

    const figures: Record<string, number> = {}
    for (const transport of ['sse', 'polling'] as const) {
      for (const n of [10, 40]) {
        const room = `${transport}-${n}`
        const members = await crowd(n, transport, room, got)
        await server.io.to(room).emit('msg', 'warm')
        await until(() => members.every((c) => got.get(c)!.includes('warm')) && server!.io.hub.streamCount >= clients.length, 'warm-up', 20_000)
        await sleep(300)
        rest.resetCounts()
        for (let i = 0; i < 5; i++) await server.io.to(room).emit('msg', i)
        await until(() => members.every((c) => got.get(c)!.includes(4)) && server!.io.hub.streamCount >= clients.length, 'broadcasts', 20_000)
        await sleep(300)
        figures[room] = billed() / 5
        for (const c of members) expect(got.get(c)!.slice(-5)).toEqual([0, 1, 2, 3, 4])
      }
    }
    console.log(`[upstash-cost] commands per room broadcast: ${JSON.stringify(figures)}`)
    for (const [room, perBroadcast] of Object.entries(figures)) expect(perBroadcast, room).toBeLessThanOrEqual(1.2)
  })
})
