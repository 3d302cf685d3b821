import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import type { IO, ServeOptions } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from '../support/redis.js'
import { startServer, until, type TestServer } from '../support/server.js'

const TOKEN = 'inspector-secret'

/**
 * The inspector API (handler/INSPECTOR.md) against two instances sharing a real
 * redis-server: what one instance shows includes what the other did.
 */
describe('inspector API', () => {
  let redis: RedisServer
  let a: TestServer
  let b: TestServer
  const clients: ClientSocket[] = []
  const prefix = `insp${process.pid}`

  function setup(io: IO) {
    io.onMessage('join', async (s, room: string) => {
      await s.join(room)
      return 'ok'
    })
    io.onMessage('echo', (_s, d: unknown) => d)
    io.onMessage('ask', async (s) => s.emitWithAck('question', 'ready?', { timeout: 5000 }))
  }
  const options = (): ServeOptions => ({ store: redisStore(redis.url, { prefix }), inspector: { token: TOKEN } })

  beforeAll(async () => {
    redis = await startRedis()
    a = await startServer(options(), setup)
    b = await startServer(options(), setup)
  })
  afterAll(async () => {
    for (const c of clients) c.disconnect()
    await a?.close()
    await b?.close()
    await redis?.stop()
  })

  const api = (server: TestServer, path: string, init: RequestInit = {}) =>
    fetch(`${server.url}/_inspector/${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } })
  const json = async (res: Response) => [res.status, await res.json()] as const

  async function open(server: TestServer): Promise<ClientSocket> {
    const socket = connect(server.url, { transports: ['sse'] })
    clients.push(socket)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    return socket
  }

  it('is 404 when off and 401 without the right token', async () => {
    const off = await startServer()
    try {
      const [status, body] = await json(await fetch(`${off.url}/_inspector/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } }))
      expect([status, body.error.code]).toEqual([404, 'NOT_FOUND'])
    } finally {
      await off.close()
    }
    expect((await json(await fetch(`${a.url}/_inspector/snapshot`)))[0]).toBe(401)
    expect((await json(await api(a, 'snapshot', { headers: { authorization: 'Bearer wrong' } })))[1].error.code).toBe('UNAUTHORIZED')
    // ?token= only on the event stream (inspector-guard.test.ts)
    expect((await fetch(`${a.url}/_inspector/snapshot?token=${TOKEN}`)).status).toBe(401)
  })

  it('shows the sessions and rooms of both instances, and queued messages', async () => {
    const onA = [await open(a), await open(a), await open(a)]
    const onB = [await open(b), await open(b)]
    for (const s of [onA[0]!, onB[0]!]) await s.emitWithAck('join', 'lobby')
    await onB[1]!.emitWithAck('join', 'quiet')
    // A session whose client is gone (never opened a stream): what is sent to it stays queued.
    const raw = (await (await fetch(`${a.url}/connect`, { method: 'POST', body: '{}' })).json()) as { sid: string }
    const gone = await a.io.fetchSocket(raw.sid)
    for (let i = 0; i < 4; i++) await gone!.emit('note', { i })

    const [status, snap] = await json(await api(b, 'snapshot'))
    expect(status).toBe(200)
    const ids = [...onA, ...onB].map((s) => s.id).concat(raw.sid)
    expect(snap.sessions.map((s: { id: string }) => s.id).sort()).toEqual(ids.sort())
    expect(snap.totals.sessions).toBe(6)
    const rooms = Object.fromEntries(snap.rooms.map((r: { name: string; members: string[] }) => [r.name, r.members.sort()]))
    expect(rooms).toEqual({ lobby: [onA[0]!.id, onB[0]!.id].sort(), quiet: [onB[1]!.id] })
    const goneInfo = snap.sessions.find((s: { id: string }) => s.id === raw.sid)
    expect(goneInfo.queued).toBe(4)
    expect(goneInfo.transport).toBe('sse')

    const [, detail] = await json(await api(a, `sessions/${raw.sid}`))
    expect(detail.messages.map((m: { event: string; data: { i: number } }) => [m.event, m.data.i])).toEqual([
      ['note', 0],
      ['note', 1],
      ['note', 2],
      ['note', 3],
    ])
    // Connected clients get what is sent to them: nothing stays queued (their streams save their position).
    await a.io.to('lobby').emit('news', 1)
    await until(async () => {
      const [, s] = await json(await api(a, 'snapshot'))
      return s.sessions.filter((x: { id: string; queued: number }) => x.id !== raw.sid && x.queued > 0).length === 0
    }, 'queued counts of connected clients to drop to 0')
    expect((await json(await api(a, 'sessions/nope')))[1].error.code).toBe('SESSION_NOT_FOUND')
  })

  it('reports message rates and ack latency in both directions', async () => {
    const socket = await open(a)
    socket.on('question', (_d: unknown, ack: (r: unknown) => void) => ack('yes'))
    for (let i = 0; i < 10; i++) await socket.emitWithAck('echo', i)
    expect(await socket.emitWithAck('ask', null)).toBe('yes')
    await until(async () => {
      const [, m] = await json(await api(b, 'metrics'))
      const echo = m.acks.find((x: { event: string; direction: string }) => x.event === 'echo' && x.direction === 'client')
      const ask = m.acks.find((x: { event: string; direction: string }) => x.event === 'question' && x.direction === 'server')
      return echo?.count >= 10 && ask?.count >= 1
    }, 'ack metrics from instance a to be visible on instance b')
    const [, m] = await json(await api(b, 'metrics'))
    const echo = m.acks.find((x: { event: string; direction: string }) => x.event === 'echo' && x.direction === 'client')
    expect(echo.histogram.reduce((n: number, h: { count: number }) => n + h.count, 0)).toBe(echo.count)
    expect(echo.p50).toBeGreaterThan(0)
    expect(echo.p99).toBeGreaterThanOrEqual(echo.p50)
    // rates holds the complete buckets; the one still filling is `current`
    const all = [...m.rates, m.current]
    expect(all.reduce((n: number, r: { in: number }) => n + r.in, 0)).toBeGreaterThanOrEqual(11)
    expect(all.reduce((n: number, r: { out: number }) => n + r.out, 0)).toBeGreaterThanOrEqual(1)
  })

  it('streams a live feed of events from every instance', async () => {
    const controller = new AbortController()
    const res = await fetch(`${b.url}/_inspector/events?token=${TOKEN}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events: { type: string; event?: string; sid?: string; room?: string }[] = []
    void (async () => {
      const decoder = new TextDecoder()
      let buf = ''
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true })
          let i
          while ((i = buf.indexOf('\n\n')) !== -1) {
            const frame = buf.slice(0, i)
            buf = buf.slice(i + 2)
            if (frame.startsWith('data: ')) events.push(JSON.parse(frame.slice(6)))
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })()
    // Instances re-read the "watched" flag every 2 s: wait until instance a publishes.
    const socket = await open(a)
    await until(async () => {
      await socket.emitWithAck('echo', 'ping')
      return events.some((e) => e.type === 'message:in' && e.sid === socket.id)
    }, 'feed events from instance a')
    await socket.emitWithAck('join', 'feed-room')
    const sid = socket.id // undefined once disconnected, as in socket.io-client
    socket.disconnect()
    await until(() => events.some((e) => e.type === 'disconnect' && e.sid === sid), 'disconnect event')
    expect(events.some((e) => e.type === 'join' && e.room === 'feed-room' && e.sid === sid)).toBe(true)
    // The ack's result rides on the message's own row (no separate row per client ack).
    expect(events.some((e) => e.type === 'message:in' && e.event === 'echo' && e.sid === sid && (e as { ack?: { status: string } }).ack?.status === 'ok')).toBe(true)
    controller.abort()
  })

  it('emits to a session or room and disconnects a session, unless read-only', async () => {
    const socket = await open(b)
    const sid = socket.id!
    const got: unknown[] = []
    socket.on('admin', (d: unknown) => got.push(d))
    const reasons: string[] = []
    socket.on('disconnect', (r: string) => reasons.push(r))
    const [status, sent] = await json(await api(a, 'emit', { method: 'POST', body: JSON.stringify({ to: { sid: socket.id }, event: 'admin', data: 'hi' }) }))
    // "Sent" says how many sessions it reached
    expect([status, sent]).toEqual([200, { ok: true, sessions: 1 }])
    await until(() => got.length === 1, 'admin emit')
    expect(got).toEqual(['hi'])
    const live = (await json(await api(a, 'sessions?limit=1')))[1].total
    expect((await json(await api(b, 'emit', { method: 'POST', body: JSON.stringify({ to: { all: true }, event: 'admin', data: 'all' }) })))[1]).toEqual({ ok: true, sessions: live })
    await until(() => got.length === 2, 'emit to all')
    expect(got).toEqual(['hi', 'all'])
    expect((await json(await api(a, 'emit', { method: 'POST', body: JSON.stringify({ to: { room: '{bad}' }, event: 'x' }) })))[0]).toBe(400)
    expect((await json(await api(a, 'disconnect', { method: 'POST', body: JSON.stringify({ sid: socket.id }) })))[0]).toBe(200)
    await until(() => reasons.length === 1, 'disconnect')
    expect(reasons).toEqual(['io server disconnect'])
    // every admin action is logged, from either instance, newest first: who (address), what, when
    const [, log] = await json(await api(a, 'actions'))
    expect(log.actions.map((x: { action: string; target: string; event?: string; sessions: number; by: string }) => [x.action, x.target, x.event, x.sessions, x.by])).toEqual([
      ['disconnect', `sid:${sid}`, undefined, 1, '127.0.0.1'],
      ['emit', 'all', 'admin', live, '127.0.0.1'],
      ['emit', `sid:${sid}`, 'admin', 1, '127.0.0.1'],
    ])
    expect(log.actions.every((x: { at: number }) => Math.abs(Date.now() - x.at) < 60_000)).toBe(true)

    const ro = await startServer({ store: redisStore(redis.url, { prefix }), inspector: { token: TOKEN, readonly: true } })
    try {
      const [status, body] = await json(await api(ro, 'disconnect', { method: 'POST', body: JSON.stringify({ sid: 'x' }) }))
      expect([status, body.error.code]).toEqual([403, 'FORBIDDEN'])
      expect((await json(await api(ro, 'snapshot')))[1].readonly).toBe(true)
    } finally {
      await ro.close()
    }
  })
})
