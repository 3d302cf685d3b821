import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { serve, type IO, type ServeOptions } from 'socket-serve'
import { startServer, until, type TestServer } from '../support/server.js'
import { storeCases } from '../support/stores.js'
import { expectRefusal, openStream, rawConnect, sessionHeaders, type RawSession, type RawStream } from '../support/raw-http.js'

/**
 * Issue 15, item 1 and 7: each attack that showed a symptom, bounded by `serve({ limits })`
 * (DESIGN §5). Every test asserts on counts and codes, never on time.
 */
const json = { 'content-type': 'application/json' }
const stores = storeCases()
let server: TestServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function post(url: string, s: RawSession, body: unknown, route = 'message'): Promise<Response> {
  return fetch(`${url}/${route}`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: JSON.stringify(body) })
}

/** A POST of `n` messages with ack, ids from `first`. */
const batch = (event: string, n: number, first: number, data: (i: number) => unknown) => ({
  messages: Array.from({ length: n }, (_, i) => ({ id: first + i, event, data: data(i), ack: true })),
})

type Acks = { acks: { id: number; data?: unknown; error?: { code: string } }[] }

describe('streamsPerSession (default 1): a new stream replaces the old', () => {
  it('2,000 streams opened on one session: the server holds one; each replaced stream got a close frame, not a kick', async () => {
    server = await startServer()
    const s = await rawConnect(server.url)
    const streams: RawStream[] = []
    const t0 = Date.now()
    for (let i = 0; i < 2000; i += 100) {
      const wave = Array.from({ length: 100 }, () => openStream(`${server!.url}/sse`, sessionHeaders(s)))
      streams.push(...wave)
      await Promise.all(wave.map((w) => w.status))
    }
    await until(() => streams.slice(0, -1).every((w) => w.ended), 'every replaced stream ended', 60_000)
    console.log(`2,000 streams on one session: ${Date.now() - t0} ms`)
    expect(server.io.hub.streamCount).toBe(1)
    // The replaced ones were told why (when their stream had opened first), and none was a kick.
    const frames = streams.slice(0, -1).flatMap((w) => w.frames.map((f) => f.data.c))
    expect(frames).not.toContain('disconnect')
    expect(frames.filter((c) => c === 'close').length).toBeGreaterThan(0)
    // The newest works: a message reaches it, once.
    const last = streams.at(-1)!
    await until(() => last.frames.length > 0, 'the last stream open')
    await (await server.io.fetchSocket(s.sid))!.emit('hi', 1)
    await until(() => last.messages.length === 1, 'the message on the newest stream')
    for (const w of streams) w.close()
  }, 90_000)

  it('the client SDK keeps working when its stream is replaced: it reopens and loses nothing', async () => {
    const { connect } = await import('@socket-serve/client')
    server = await startServer()
    const socket = connect(server.url, { transports: ['sse'] })
    const got: number[] = []
    socket.on('n', (n: number) => void got.push(n))
    let disconnects = 0
    socket.on('disconnect', () => disconnects++)
    await until(() => socket.connected, 'connected')
    const target = (await server.io.fetchSocket(socket.id!))!
    await target.emit('n', 1)
    await until(() => got.length === 1, 'first message')
    // Someone with the session's credentials opens another stream: the client's is replaced.
    const session = (await server.io.store.getSession(socket.id!))!
    const intruder = openStream(`${server.url}/sse`, sessionHeaders(session))
    await until(() => intruder.frames.length > 0 || intruder.ended, 'the other stream open')
    await until(() => server!.io.hub.streamCount === 1 && server!.io.hub.hasStream(socket.id!), 'the client back on its own stream', 20_000)
    intruder.close()
    await target.emit('n', 2)
    await until(() => got.length === 2, 'second message')
    expect(got).toEqual([1, 2])
    expect(socket.connected).toBe(true)
    socket.disconnect()
    expect(disconnects).toBe(1) // only our own disconnect()
  }, 40_000)
})

describe.each(stores)('roomsPerSession, $name store', ({ make }) => {
  it('1,000 joins in one POST under roomsPerSession 10: exactly 10 land, 990 are refused with LIMIT_EXCEEDED', async () => {
    server = await startServer({ store: make(), limits: { roomsPerSession: 10 } }, (io) =>
      io.onMessage('join', async (socket, room: string) => {
        await socket.join(room)
        return 'ok'
      }),
    )
    const s = await rawConnect(server.url)
    const res = await post(server.url, s, batch('join', 1000, 1, (i) => `room-${i}`))
    expect(res.status).toBe(200)
    const { acks } = (await res.json()) as Acks
    expect(acks).toHaveLength(1000)
    expect(acks.filter((a) => a.data === 'ok')).toHaveLength(10)
    expect(acks.filter((a) => a.error?.code === 'LIMIT_EXCEEDED')).toHaveLength(990)
    const record = (await server.io.store.getSession(s.sid))!
    expect(Object.keys(record.rooms).filter((r) => r !== '*')).toHaveLength(10)
  }, 60_000)

  it('the default (1,000 rooms) lets a session join 1,000 rooms and refuses the 1,001st', async () => {
    server = await startServer({ store: make() }, (io) =>
      io.onMessage('join', async (socket, room: string) => {
        await socket.join(room)
        return 'ok'
      }),
    )
    const s = await rawConnect(server.url)
    const first = (await (await post(server.url, s, batch('join', 1000, 1, (i) => `d-${i}`))).json()) as Acks
    expect(first.acks.filter((a) => a.data === 'ok')).toHaveLength(1000)
    const more = (await (await post(server.url, s, batch('join', 1, 1001, () => 'one-too-many'))).json()) as Acks
    expect(more.acks[0]!.error?.code).toBe('LIMIT_EXCEEDED')
  }, 60_000)

  it('a join that lands while its session is being ended is refused and leaves no member', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let joined: Promise<string> | undefined
    server = await startServer({ store: make() }, (io) => {
      io.onMessage('late-join', async (socket) => {
        await gate
        joined = socket.join('after-end').then(() => 'joined', (e: { code: string }) => e.code)
        await joined
      })
      // The ending has begun (rooms left) and waits for the join to land before it finishes.
      io.onDisconnect(async () => {
        release()
        await until(() => joined !== undefined, 'the join started')
        await joined
      })
    })
    const s = await rawConnect(server.url)
    const posted = post(server.url, s, { messages: [{ id: 1, event: 'late-join' }] })
    await new Promise((r) => setTimeout(r, 200))
    await server.io.core.endSession(s.sid, 'server namespace disconnect', 'io server disconnect')
    await posted.catch(() => {})
    expect(await joined).toBe('SESSION_NOT_FOUND')
    // Nothing of the join is left: not in the room's member set, not in the record.
    const rooms = (await server.io.store.getSession(s.sid))?.rooms ?? {}
    expect(Object.keys(rooms)).not.toContain('after-end')
    expect(await server.io.store.members('after-end', 10)).toEqual([])
  })
})

describe('connectsPerMinute and sessions', () => {
  it('a flood of connects from one address: past connectsPerMinute each gets 429 RATE_LIMITED with Retry-After, and creates nothing', async () => {
    server = await startServer({ limits: { connectsPerMinute: 50 } })
    const replies = await Promise.all(Array.from({ length: 80 }, () => fetch(`${server!.url}/connect`, { method: 'POST', headers: json, body: '{}' })))
    const ok = replies.filter((r) => r.status === 200)
    const refused = replies.filter((r) => r.status === 429)
    expect([ok.length, refused.length]).toEqual([50, 30])
    for (const r of refused) {
      const reply = await expectRefusal(r, 429, 'RATE_LIMITED')
      expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    for (const r of ok) await r.text()
    expect(await server.io.store.sessionIds(1000)).toHaveLength(50)
  })

  it('the address is the one the clientAddress option names: each forwarded address has its own count', async () => {
    server = await startServer({ limits: { connectsPerMinute: 2 }, clientAddress: (req) => req.headers.get('x-test-ip') ?? undefined })
    const from = (ip: string) => fetch(`${server!.url}/connect`, { method: 'POST', headers: { ...json, 'x-test-ip': ip }, body: '{}' })
    const statuses: number[] = []
    for (const ip of ['10.0.0.1', '10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2', '10.0.0.2']) {
      const r = await from(ip)
      await r.text()
      statuses.push(r.status)
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429])
  })

  it('sessions in total: past the bound a connect gets 429 LIMIT_EXCEEDED; an ended session frees a place', async () => {
    server = await startServer({ limits: { sessions: 20 } })
    const made = await Promise.all(Array.from({ length: 20 }, () => rawConnect(server!.url)))
    await expectRefusal(await fetch(`${server.url}/connect`, { method: 'POST', headers: json, body: '{}' }), 429, 'LIMIT_EXCEEDED')
    expect(await server.io.store.sessionIds(1000)).toHaveLength(20)
    expect((await post(server.url, made[0]!, {}, 'disconnect')).status).toBe(200)
    expect((await rawConnect(server.url)).sid).toBeTruthy()
  })

  it('the defaults let one machine open 1,000 clients in a burst', async () => {
    server = await startServer()
    const t0 = Date.now()
    const replies = await Promise.all(Array.from({ length: 1000 }, () => fetch(`${server!.url}/connect`, { method: 'POST', headers: json, body: '{}' })))
    const statuses = await Promise.all(replies.map(async (r) => (await r.text(), r.status)))
    console.log(`1,000 connects in a burst: ${Date.now() - t0} ms`)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1000)
  }, 60_000)
})

describe('pendingAcksPerSession (default 1,000)', () => {
  it('5,000 server emitWithAck to a client that never answers: 1,000 pending, 4,000 refused with LIMIT_EXCEEDED at once', async () => {
    const codes = new Map<string, number>()
    server = await startServer({}, (io) =>
      io.onMessage('ask', (socket) => {
        socket.emitWithAck('question', 1, { timeout: 60_000 }).catch((e: { code: string }) => codes.set(e.code, (codes.get(e.code) ?? 0) + 1))
      }),
    )
    const s = await rawConnect(server.url)
    for (let first = 1; first <= 5000; first += 1000) {
      const res = await post(server.url, s, { messages: Array.from({ length: 1000 }, (_, i) => ({ id: first + i, event: 'ask' })) })
      expect(res.status).toBe(200)
    }
    await until(() => (codes.get('LIMIT_EXCEEDED') ?? 0) === 4000, '4,000 refusals')
    const pending = (server.io.core.acks as unknown as { pending: Map<string, unknown> }).pending
    expect(pending.size).toBe(1000)
    // Only 1,000 questions were sent to the client.
    const log = await server.io.store.read(`d:${s.sid}`, 0, 10_000)
    expect(log.entries.filter((e) => e.data.includes('"question"'))).toHaveLength(1000)
    await server.close() // rejects the pending ones
    server = undefined
    expect(codes.get('DISCONNECTED')).toBe(1000)
  }, 60_000)
})

describe('inspector metrics: unknown events are not metrics', () => {
  it('5,000 distinct event names sent with ack and no handler leave no metric field; known events still count', async () => {
    server = await startServer({ inspector: { token: 'tk' } }, (io) => io.onMessage('known', () => 'ok'))
    const s = await rawConnect(server.url)
    for (let first = 1; first <= 5000; first += 1000) {
      const res = await post(server.url, s, { messages: Array.from({ length: 1000 }, (_, i) => ({ id: first + i, event: `junk-${first + i}`, ack: true })) })
      const { acks } = (await res.json()) as Acks
      expect(acks.every((a) => a.error?.code === 'UNKNOWN_EVENT')).toBe(true)
    }
    await post(server.url, s, { messages: [{ id: 5001, event: 'known', ack: true }] })
    const res = await fetch(`${server.url}/_inspector/metrics`, { headers: { authorization: 'Bearer tk' } })
    const report = (await res.json()) as { acks: { event: string; count: number }[] }
    expect(report.acks.map((a) => a.event)).toEqual(['known'])
    expect(report.acks[0]!.count).toBe(1)
  }, 60_000)

  it('distinct known events past limits.metricKeys count under "(other)"', async () => {
    server = await startServer({ inspector: { token: 'tk' }, limits: { metricKeys: 3 } }, (io) => {
      for (let i = 0; i < 6; i++) io.onMessage(`ev${i}`, () => 'ok')
    })
    const s = await rawConnect(server.url)
    await post(server.url, s, { messages: Array.from({ length: 6 }, (_, i) => ({ id: i + 1, event: `ev${i}`, ack: true })) })
    const report = (await (await fetch(`${server.url}/_inspector/metrics`, { headers: { authorization: 'Bearer tk' } })).json()) as {
      acks: { event: string; count: number }[]
    }
    const events = report.acks.map((a) => a.event)
    expect(events.filter((e) => e !== '(other)')).toHaveLength(3)
    expect(report.acks.reduce((n, a) => n + a.count, 0)).toBe(6)
  })
})

/** A node:http server of our own, to watch its connections. */
async function ownServer(options: ServeOptions = {}): Promise<{ io: IO; port: number; http: http.Server; close(): Promise<void> }> {
  const io = serve(options)
  const mw = io.middleware()
  const srv = http.createServer((req, res) => mw(req, res))
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return {
    io,
    http: srv,
    port: (srv.address() as AddressInfo).port,
    async close() {
      await io.close()
      srv.closeAllConnections()
      await new Promise<void>((r) => srv.close(() => r()))
    },
  }
}

const connections = (srv: http.Server) => new Promise<number>((r) => srv.getConnections((_e, n) => r(n)))

describe('the write-side cut frees what a never-reading client pinned', () => {
  it('10 streams that never read: each connection is dropped (not just ended) once streamBuffer waits', async () => {
    const own = await ownServer()
    const stalled: net.Socket[] = []
    try {
      const base = `http://127.0.0.1:${own.port}`
      const sessions = await Promise.all(Array.from({ length: 10 }, () => rawConnect(base)))
      for (const s of sessions) {
        const sock = net.connect(own.port, '127.0.0.1')
        await new Promise<void>((r) => sock.once('connect', r))
        sock.pause()
        sock.on('error', () => {})
        sock.write(`GET /sse HTTP/1.1\r\nhost: 127.0.0.1:${own.port}\r\nx-socket-sid: ${s.sid}\r\nx-socket-token: ${s.token}\r\n\r\n`)
        stalled.push(sock)
      }
      await until(() => own.io.hub.streamCount === 10, 'ten streams open')
      const big = 'x'.repeat(100_000)
      // 10 x 100 kB at a time to everyone: far past the kernel's buffers and the 1 MiB cut.
      for (let round = 0; round < 100 && own.io.hub.streamCount > 0; round++) {
        await Promise.all(Array.from({ length: 10 }, () => own.io.emit('big', big)))
        await new Promise((r) => setTimeout(r, 5))
      }
      await until(() => own.io.hub.streamCount === 0, 'every stalled stream cut')
      // Dropped, not ended: the server keeps no connection (nor its queued bytes) for them.
      await until(async () => (await connections(own.http)) === 0, 'no connection left')
    } finally {
      for (const s of stalled) s.destroy()
      await own.close()
    }
  }, 60_000)
})

describe('slow bodies', () => {
  it('50 bodies trickling in are answered 408 REQUEST_TIMEOUT and their connections closed after bodyTimeout', async () => {
    const own = await ownServer({ limits: { bodyTimeout: 500 } })
    const socks: net.Socket[] = []
    const replies: string[] = []
    const timers: ReturnType<typeof setInterval>[] = []
    try {
      for (let i = 0; i < 50; i++) {
        const sock = net.connect(own.port, '127.0.0.1')
        sock.on('error', () => {})
        sock.on('data', (d) => (replies[i] = (replies[i] ?? '') + d.toString()))
        await new Promise<void>((r) => sock.once('connect', r))
        sock.write(`POST /connect HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`)
        // One byte every 100 ms: the whole body would take 100 s.
        timers.push(setInterval(() => sock.writable && sock.write(' '), 100))
        socks.push(sock)
      }
      await until(() => socks.every((s) => s.destroyed || s.readableEnded), 'every slow connection closed', 20_000)
      expect(replies.filter((r) => r?.startsWith('HTTP/1.1 408') && r.includes('REQUEST_TIMEOUT'))).toHaveLength(50)
      expect(await connections(own.http)).toBe(0)
    } finally {
      for (const t of timers) clearInterval(t)
      for (const s of socks) s.destroy()
      await own.close()
    }
  }, 40_000)
})

describe('bodies are checked cheaply before they are parsed', () => {
  const nested = (depth: number) => '{"messages":' + '['.repeat(depth) + ']'.repeat(depth) + '}'
  /** The longest text JSON.parse saw meanwhile (the server runs in this process). */
  async function longestParse(fn: () => Promise<void>): Promise<number> {
    const spy = vi.spyOn(JSON, 'parse')
    try {
      await fn()
      return Math.max(0, ...spy.mock.calls.map((c) => String(c[0]).length))
    } finally {
      spy.mockRestore()
    }
  }

  it('a 1 MB nested body is refused for its depth, from its bytes', async () => {
    server = await startServer({ maxPayload: 2_000_000 })
    const s = await rawConnect(server.url)
    const longest = await longestParse(async () => {
      const res = await fetch(`${server!.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: nested(500_000) })
      const reply = await expectRefusal(res, 400, 'BAD_REQUEST')
      expect(reply.body.error.message).toMatch(/nests deeper/)
    })
    expect(longest).toBeLessThan(10_000) // the megabyte was never parsed
    // 64 levels (body, messages, message, 61 in data) are fine; 65 are not.
    const ok = '{"messages":[{"id":1,"event":"e","data":' + '['.repeat(61) + ']'.repeat(61) + '}]}'
    const deep = '{"messages":[{"id":1,"event":"e","data":' + '['.repeat(62) + ']'.repeat(62) + '}]}'
    expect((await fetch(`${server.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: ok })).status).toBe(200)
    const refused = await fetch(`${server.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: deep })
    expect((await expectRefusal(refused, 400, 'BAD_REQUEST')).body.error.message).toMatch(/nests deeper/)
  })

  it('a large body for an unknown session is refused by its headers, before it is parsed', async () => {
    server = await startServer()
    const body = '{"messages":[{"id":1,"event":"e","data":"' + 'x'.repeat(500_000) + '"}],"junk":' + '['.repeat(100) + ']'.repeat(100) + '}'
    const forged = { sid: 'no-such-session', token: 'x' }
    const s = await rawConnect(server.url)
    const longest = await longestParse(async () => {
      await expectRefusal(await fetch(`${server!.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders(forged) }, body }), 404, 'SESSION_NOT_FOUND')
      await expectRefusal(await fetch(`${server!.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders({ sid: s.sid, token: 'wrong' }) }, body }), 401, 'UNAUTHORIZED')
    })
    expect(longest).toBeLessThan(10_000) // neither body was parsed
  })
})
