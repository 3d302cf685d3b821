import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import type { IO, ServeOptions } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'

const TOKEN = 'inspector-secret'

interface ErrorStat { kind: string; code: string; event?: string; room?: string; route?: string; count: number; rate: number; last: number }
interface AckStat { event: string; direction: string; measures: string; count: number; failed: number; p50: number | null }

/**
 * Issue 18: failures are first-class, numbers are honest, sessions say how they are. Two
 * instances over a real redis-server: what one instance saw, the other reports.
 */
describe('inspector: errors, honest numbers, session health', () => {
  let redis: RedisServer
  let a: TestServer
  let b: TestServer
  const clients: ClientSocket[] = []
  const prefix = `inspe${process.pid}`

  function setup(io: IO) {
    io.onMessage('join', async (s, room: string) => {
      await s.join(room)
      return 'ok'
    })
    io.onMessage('flaky', () => {
      throw new Error('database down')
    })
    // callback style, never calls ack: the handler times out
    io.onMessage('forgetful', (_s, _d: unknown, _ack: (r: unknown) => void) => {})
    io.onMessage('ask', async (s) => s.emitWithAck('question', 'ready?', { timeout: 300 }).catch((e: Error) => e.message))
    io.onMessage('echo', (_s, d: unknown) => d)
  }
  // ackTimeout, pingInterval and streamBuffer are the options under test (handler timeouts, health thresholds).
  const options = (): ServeOptions => ({
    store: redisStore(redis.url, { prefix }),
    inspector: { token: TOKEN },
    ackTimeout: 300,
    pingInterval: 2000,
    // A reader that stopped is cut past streamBuffer (default 1 MiB): room to watch it first.
    limits: { streamBuffer: 16 * 1024 * 1024 },
    allowedOrigins: ['http://admin.example'],
  })

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
  const get = async (server: TestServer, path: string) => (await api(server, path)).json()

  async function open(server: TestServer): Promise<ClientSocket> {
    const socket = connect(server.url, { transports: ['sse'] })
    clients.push(socket)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    return socket
  }

  it('counts handler errors, handler and ack timeouts, and refused requests, per event, room and route, with rates', async () => {
    const socket = await open(a)
    await socket.emitWithAck('join', 'ops')
    // the client never answers 'question': the server's emitWithAck times out
    const answers: unknown[] = []
    for (let i = 0; i < 3; i++) answers.push(await socket.emitWithAck('flaky', i).catch((e: { code?: string }) => e.code))
    answers.push(await socket.emitWithAck('forgetful', 1).catch((e: { code?: string }) => e.code))
    answers.push(await socket.emitWithAck('ask', null))
    expect(answers).toEqual(['HANDLER_ERROR', 'HANDLER_ERROR', 'HANDLER_ERROR', 'HANDLER_ERROR', 'no ack within 300 ms'])
    // a refused request: a message POST for a session that does not exist
    const refused = await fetch(`${a.url}/message`, {
      method: 'POST',
      headers: { 'x-socket-sid': 'nobody', 'x-socket-token': 'x', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ id: 1, event: 'echo' }] }),
    })
    expect(refused.status).toBe(404)

    const match = (errors: ErrorStat[], q: Partial<ErrorStat>) => errors.filter((e) => Object.entries(q).every(([k, v]) => e[k as keyof ErrorStat] === v))
    await until(async () => {
      const m = await get(b, 'metrics')
      return match(m.errors ?? [], { kind: 'ack-timeout', event: 'question' }).length > 0 && match(m.errors ?? [], { kind: 'refused', route: '/message' }).length > 0
    }, 'errors recorded on instance a to show on instance b')
    const m = await get(b, 'metrics')
    const errors = m.errors as ErrorStat[]
    const one = (q: Partial<ErrorStat>) => match(errors, q)
    expect(one({ kind: 'handler', code: 'HANDLER_ERROR', event: 'flaky' }).map((e) => e.count)).toEqual([3])
    expect(one({ kind: 'handler', code: 'HANDLER_ERROR', room: 'ops' }).map((e) => e.count)).toEqual([3])
    expect(one({ kind: 'handler-timeout', code: 'HANDLER_ERROR', event: 'forgetful' }).map((e) => e.count)).toEqual([1])
    expect(one({ kind: 'ack-timeout', code: 'ACK_TIMEOUT', event: 'question' }).map((e) => e.count)).toEqual([1])
    expect(one({ kind: 'refused', code: 'SESSION_NOT_FOUND', route: '/message' }).map((e) => e.count)).toEqual([1])
    for (const e of errors) expect(e.rate).toBeGreaterThanOrEqual(0)

    // An event whose acks all fail does not look healthy: every one of its acks is counted failed.
    const acks = m.acks as AckStat[]
    const flaky = acks.find((x) => x.event === 'flaky' && x.direction === 'client')!
    expect([flaky.count, flaky.failed, flaky.measures]).toEqual([3, 3, 'handler time'])
    const question = acks.find((x) => x.event === 'question' && x.direction === 'server')!
    expect([question.failed, question.measures]).toEqual([1, 'round trip'])

    // The session's last errors, newest first, in its detail (read on the other instance).
    const detail = await get(b, `sessions/${socket.id}`)
    expect(detail.errors.map((e: { kind: string; event: string }) => `${e.kind}:${e.event}`)).toEqual([
      'ack-timeout:question',
      'handler-timeout:forgetful',
      'handler:flaky',
      'handler:flaky',
      'handler:flaky',
    ])
  })

  it('rates come from complete buckets only and the percentile method is stated', async () => {
    const m = await get(a, 'metrics')
    const bucket = m.bucketSeconds * 1000
    expect(m.rates).toHaveLength(30)
    for (const r of m.rates) expect(r.t + bucket).toBeLessThanOrEqual(m.time)
    expect(m.current.t).toBeLessThanOrEqual(m.time)
    expect(m.current.t + bucket).toBeGreaterThan(m.time)
    expect(m.current.elapsedMs).toBe(m.time - m.current.t)
    expect(m.percentiles.method).toMatch(/upper bound/)
    expect(m.percentiles.bounds.at(-1)).toBe(60_000)
  })

  it('tells never-streamed, killed (stale) and not-reading sessions from live ones', async () => {
    const live = await open(a)
    const rawConnect = async () => (await (await fetch(`${a.url}/connect`, { method: 'POST', body: '{}' })).json()) as { sid: string; token: string }
    const never = await rawConnect()
    // a client that opens a stream and is killed
    const killed = await rawConnect()
    const killer = new AbortController()
    const killedRes = await fetch(`${a.url}/sse`, { headers: { 'x-socket-sid': killed.sid, 'x-socket-token': killed.token }, signal: killer.signal })
    const reader = killedRes.body!.getReader()
    await reader.read()
    // a client that opens a stream and stops reading while 6 MB come: the kernel's buffers take a
    // few MB, the rest queues here (under this test's streamBuffer, so it is not cut at once; a
    // stream still stalled a heartbeat later is dropped, and then reads as stale)
    const stuck = await rawConnect()
    const stuckRes = await fetch(`${a.url}/sse`, { headers: { 'x-socket-sid': stuck.sid, 'x-socket-token': stuck.token } })
    await stuckRes.body!.getReader().read()
    await sleep(200)
    killer.abort()
    const big = 'x'.repeat(100_000)
    const stuckSocket = await a.io.fetchSocket(stuck.sid)
    for (let i = 0; i < 60; i++) await stuckSocket!.emit('blob', big)

    const healthOf = async () => {
      const snap = await get(b, 'snapshot')
      return Object.fromEntries(snap.sessions.map((s: { id: string; health: string }) => [s.id, s.health])) as Record<string, string>
    }
    const stuckSeen = new Set<string>()
    await until(async () => {
      const h = await healthOf()
      if (h[stuck.sid]) stuckSeen.add(h[stuck.sid]!)
      return h[never.sid] === 'never-streamed' && h[killed.sid] === 'stale' && stuckSeen.has('not-reading')
    }, 'never-streamed, stale and not-reading states', 20_000)
    expect((await healthOf())[live.id!]).toBe('live')
  })

  it('pages sessions with an exact total, a cursor, and search over user state', async () => {
    const socket = await open(b)
    const s = await b.io.fetchSocket(socket.id!)
    await s!.set('name', 'Alice Liddell')
    const first = await get(a, 'sessions?limit=2')
    expect(first.sessions).toHaveLength(2)
    const snap = await get(a, 'snapshot?limit=1')
    // the total is exact even when the list is capped
    expect(snap.totals.sessions).toBe(first.total)
    expect(snap.sessions).toHaveLength(1)
    const seen = new Set<string>()
    let cursor: number | null = 0
    for (let pages = 0; cursor !== null && pages < 50; pages++) {
      const page: { sessions: { id: string }[]; next: number | null } = await get(a, `sessions?limit=2&cursor=${cursor}`)
      for (const x of page.sessions) seen.add(x.id)
      cursor = page.next
    }
    expect(seen.size).toBe(first.total)
    // sort=recent reads the same index from its other end: the same sessions, in reverse
    const all: string[] = (await get(a, 'sessions?limit=500')).sessions.map((x: { id: string }) => x.id)
    const recent: string[] = []
    cursor = 0
    for (let pages = 0; cursor !== null && pages < 50; pages++) {
      const page: { sessions: { id: string }[]; next: number | null } = await get(a, `sessions?limit=2&sort=recent&cursor=${cursor}`)
      recent.push(...page.sessions.map((x) => x.id))
      cursor = page.next
    }
    expect(recent).toEqual([...all].reverse())
    expect((await api(a, 'sessions?sort=name')).status).toBe(400)
    const found = await get(a, 'sessions?q=alice')
    expect(found.sessions.map((x: { id: string }) => x.id)).toEqual([socket.id])
    expect((await api(a, 'sessions?health=green')).status).toBe(400)
  })

  it('lets an allowed origin embed the inspector: the preflight allows the authorization header', async () => {
    const pre = await fetch(`${a.url}/_inspector/metrics`, {
      method: 'OPTIONS',
      headers: { origin: 'http://admin.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://admin.example')
    expect(pre.headers.get('access-control-allow-headers')?.split(/,\s*/)).toContain('authorization')
    const res = await api(a, 'metrics', { headers: { origin: 'http://admin.example' } })
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([200, 'http://admin.example'])
  })
})
