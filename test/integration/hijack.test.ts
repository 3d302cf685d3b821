import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, until, type TestServer } from '../support/server.js'
import { expectRefusal, openStream, rawConnect, sessionHeaders, type RawSession, type RawStream } from '../support/raw-http.js'

/**
 * DESIGN §5 / PROTOCOL "Sessions and tokens": a session id alone never lets anyone
 * read, post, ack or disconnect; another session's token, the stream token on a
 * POST route or the session token as `st` get nowhere either, and a refused
 * attempt changes nothing for the session it aimed at.
 */
describe('session hijack attempts', () => {
  let server: TestServer
  const counts = new Map<string, number>()
  const disconnected: string[] = []
  let A: RawSession
  let B: RawSession
  let streamA: RawStream
  let streamB: RawStream

  beforeAll(async () => {
    server = await startServer({}, (io) => {
      io.onMessage('count', (s) => {
        counts.set(s.id, (counts.get(s.id) ?? 0) + 1)
        return counts.get(s.id)
      })
      io.onMessage('join', async (s, room: string) => {
        await s.join(room)
        return 'joined'
      })
      io.onDisconnect((s) => void disconnected.push(s.id))
    })
    A = await rawConnect(server.url)
    B = await rawConnect(server.url)
    streamA = openStream(`${server.url}/sse`, sessionHeaders(A))
    streamB = openStream(`${server.url}/sse`, sessionHeaders(B))
    expect(await streamA.status).toBe(200)
    expect(await streamB.status).toBe(200)
    await until(() => streamA.frames.length > 0 && streamB.frames.length > 0, 'both open frames')
    expect(streamA.frames[0]!.data).toMatchObject({ c: 'open', sid: A.sid })
    expect(streamB.frames[0]!.data).toMatchObject({ c: 'open', sid: B.sid })
    // One legitimate message each, so the counts are known before the attack.
    expect(await postMessage(A, 1)).toBe(200)
    expect(await postMessage(B, 1)).toBe(200)
  })

  afterAll(async () => {
    streamA?.close()
    streamB?.close()
    await server?.close()
  })

  const postMessage = async (s: RawSession, id: number) =>
    (
      await fetch(`${server.url}/message`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sessionHeaders(s) },
        body: JSON.stringify({ messages: [{ id, event: 'count', ack: true }] }),
      })
    ).status

  interface Attempt {
    name: string
    method: 'GET' | 'POST'
    route: string
    query?: Record<string, string>
    headers: Record<string, string>
    status: 401 | 404
  }

  const BODIES: Record<string, string> = {
    message: JSON.stringify({ messages: [{ id: 99, event: 'count', data: 'hijack', ack: true }] }),
    ack: JSON.stringify({ acks: [{ id: 'x.1', data: 'hijack' }] }),
    disconnect: '{}',
  }

  /** Every way in we can think of without A's session token, on every session route. */
  function attempts(): Attempt[] {
    const wrong = 'A'.repeat(A.token.length)
    const unknownSid = 'Z'.repeat(A.sid.length)
    const list: Attempt[] = []
    for (const [method, route] of [
      ['POST', 'message'],
      ['POST', 'ack'],
      ['POST', 'disconnect'],
      ['GET', 'sse'],
      ['GET', 'poll'],
    ] as const) {
      const add = (name: string, headers: Record<string, string>, status: 401 | 404 = 401, query?: Record<string, string>) =>
        list.push({ name: `${method} /${route}: ${name}`, method, route, headers, status, query })
      add('no credentials', {})
      add('id, no token', { 'x-socket-sid': A.sid })
      add('token, no id', { 'x-socket-token': A.token })
      add('empty token', { 'x-socket-sid': A.sid, 'x-socket-token': '' })
      add('wrong token', { 'x-socket-sid': A.sid, 'x-socket-token': wrong })
      add('token one character short', { 'x-socket-sid': A.sid, 'x-socket-token': A.token.slice(0, -1) })
      add('token with one character changed', { 'x-socket-sid': A.sid, 'x-socket-token': flipLast(A.token) })
      add("B's token with A's id", { 'x-socket-sid': A.sid, 'x-socket-token': B.token })
      add("A's stream token as x-socket-token", { 'x-socket-sid': A.sid, 'x-socket-token': A.streamToken })
      add("unknown id with A's token", { 'x-socket-sid': unknownSid, 'x-socket-token': A.token }, 404)
      add('id longer than any session id', { 'x-socket-sid': 'x'.repeat(10_000), 'x-socket-token': A.token }, 404)
      // Query forms (the EventSource read): never for POST routes, and only with A's own stream token.
      add("?sid=A&st=<A's session token>", {}, 401, { sid: A.sid, st: A.token })
      add("?sid=A&st=<B's stream token>", {}, 401, { sid: A.sid, st: B.streamToken })
      add('?sid=A, no st', {}, 401, { sid: A.sid })
      add('?sid=A&st=', {}, 401, { sid: A.sid, st: '' })
      add('?sid=A&st=<wrong>', {}, 401, { sid: A.sid, st: wrong })
      add("?st=<A's stream token>, no sid", {}, 401, { st: A.streamToken })
      if (method === 'POST') {
        add("stream token via query on a POST route", {}, 401, { sid: A.sid, st: A.streamToken })
        add("stream token via query, id in header", { 'x-socket-sid': A.sid }, 401, { sid: A.sid, st: A.streamToken })
        add("session token via query on a POST route", {}, 401, { sid: A.sid, token: A.token })
      } else {
        add("?sid=<unknown>&st=<A's stream token>", {}, 404, { sid: unknownSid, st: A.streamToken })
      }
    }
    return list
  }

  async function attempt(a: Attempt): Promise<Response> {
    const qs = new URLSearchParams(a.query ?? {})
    if (a.route === 'poll') qs.set('wait', '0') // were it (wrongly) accepted, answer at once
    const url = `${server.url}/${a.route}${qs.size ? `?${qs}` : ''}`
    return fetch(url, {
      method: a.method,
      headers: a.method === 'POST' ? { 'content-type': 'application/json', ...a.headers } : a.headers,
      body: a.method === 'POST' ? BODIES[a.route] : undefined,
      signal: AbortSignal.timeout(10_000),
    })
  }

  it('refuses every attempt with 401 (404 for unknown ids) in the JSON error shape, and changes nothing', async () => {
    const list = attempts()
    expect(list.length).toBeGreaterThan(90)

    // While the attempts run, the server keeps emitting to A.
    const SECRETS = 20
    let emitted = 0
    const emitter = (async () => {
      for (; emitted < SECRETS; emitted++) {
        const socket = await server.io.fetchSocket(A.sid)
        await socket!.emit('secret', emitted)
        await new Promise((r) => setTimeout(r, 5))
      }
    })()

    const failures: string[] = []
    for (const a of list) {
      const res = await attempt(a)
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
        await res.body?.cancel()
        failures.push(`${a.name}: opened a stream (${res.status})`)
        continue
      }
      try {
        await expectRefusal(res, a.status, a.status === 401 ? 'UNAUTHORIZED' : 'SESSION_NOT_FOUND')
      } catch (e) {
        failures.push(`${a.name}: ${(e as Error).message.split('\n')[0]}`)
      }
    }
    await emitter
    expect(failures).toEqual([])

    // Nothing changed for A (or B): handlers did not run, nobody was disconnected.
    expect(counts.get(A.sid)).toBe(1)
    expect(counts.get(B.sid)).toBe(1)
    expect(disconnected).toEqual([])
    const ids = (await server.io.fetchSockets()).map((s) => s.id).sort()
    expect(ids).toEqual([A.sid, B.sid].sort())

    // What the server sent A reached A's own stream, once each, in order, and nobody else's.
    await until(() => streamA.messages.length >= SECRETS, 'secrets on A’s stream')
    expect(streamA.messages.map((f) => [f.data.e, f.data.d])).toEqual(Array.from({ length: SECRETS }, (_, i) => ['secret', i]))
    expect(streamB.messages).toEqual([])
    expect(streamA.ended).toBe(false)
    expect(streamB.ended).toBe(false)

    // A's session still works with its own token.
    expect(await postMessage(A, 2)).toBe(200)
    expect(counts.get(A.sid)).toBe(2)
  })

  it("reads A's stream with ?sid=&st=<streamToken> (SSE and poll), and nothing else", async () => {
    const qs = new URLSearchParams({ sid: A.sid, st: A.streamToken })
    const viaQuery = openStream(`${server.url}/sse?${qs}`)
    try {
      expect(await viaQuery.status).toBe(200)
      await until(() => viaQuery.frames.length > 0, 'open frame via stream token')
      expect(viaQuery.frames[0]!.data).toMatchObject({ c: 'open', sid: A.sid })
      await (await server.io.fetchSocket(A.sid))!.emit('hello', 'via st')
      await until(() => viaQuery.messages.some((f) => f.data.e === 'hello'), 'message via stream token')
      expect(viaQuery.messages.filter((f) => f.data.e === 'hello').map((f) => f.data.d)).toEqual(['via st'])
    } finally {
      viaQuery.close()
    }
    const poll = await fetch(`${server.url}/poll?${qs}&wait=0`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get('content-type')).toMatch(/^text\/event-stream/)
    expect(await poll.text()).toContain(`"sid":"${A.sid}"`)
    // limits.streamsPerSession (default 1): the newer stream replaced A's, which was told so (not
    // a kick). A's client opens its stream again, as after any planned cut.
    await until(() => streamA.ended, 'A’s first stream replaced')
    expect(streamA.frames.at(-1)!.data).toEqual({ c: 'close', reason: 'replaced' })
    streamA = openStream(`${server.url}/sse`, sessionHeaders(A))
    await until(() => streamA.frames.length > 0, 'A’s stream open again')
  })

  it("B's own credentials cannot answer A's emitWithAck", async () => {
    const socket = (await server.io.fetchSocket(A.sid))!
    let settled: string | undefined
    const reply = socket.emitWithAck('question', 'for A only', { timeout: 10_000 }).then(
      (d) => (settled = `ack:${JSON.stringify(d)}`),
      (e: Error) => (settled = `error:${e.message}`),
    )
    await until(() => streamA.messages.some((f) => f.data.e === 'question'), 'question on A’s stream')
    const ackId = streamA.messages.find((f) => f.data.e === 'question')!.data.a as string
    expect(typeof ackId).toBe('string')
    const post = (s: RawSession, data: string) =>
      fetch(`${server.url}/ack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sessionHeaders(s) },
        body: JSON.stringify({ acks: [{ id: ackId, data }] }),
      })
    // B is a valid session: its ack POST is accepted, but an ack id of another session is ignored.
    expect((await post(B, 'forged by B')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 200))
    expect(settled).toBeUndefined()
    expect((await post(A, 'from A')).status).toBe(200)
    await reply
    expect(settled).toBe('ack:"from A"')
  })

  it("a cursor naming a room B is not in reads nothing of it", async () => {
    const joined = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sessionHeaders(A) },
      body: JSON.stringify({ messages: [{ id: 3, event: 'join', data: 'vault', ack: true }] }),
    })
    expect(await joined.json()).toEqual({ acks: [{ id: 3, data: 'joined' }] })
    await server.io.to('vault').emit('treasure', 1)
    await until(() => streamA.messages.some((f) => f.data.e === 'treasure'), 'room message on A’s stream')
    // A's own cursor, which names the room: another session's cursor is ignored whole.
    const cursorOfA = streamA.messages.find((f) => f.data.e === 'treasure')!.id!
    for (const cursor of [cursorOfA, 'r%3Avault=0,d=0,r%3A*=0']) {
      const res = await fetch(`${server.url}/poll?wait=0`, { headers: { ...sessionHeaders(B), 'last-event-id': cursor } })
      expect(res.status).toBe(200)
      expect(await res.text()).not.toContain('treasure')
    }
    expect(streamB.messages.filter((f) => f.data.e === 'treasure')).toEqual([])
  })
})

describe('session ids', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(() => server?.close())

  it('1000 connects give 1000 distinct 20-char base64url ids of 120 random bits, and distinct 256-bit tokens', async () => {
    const N = 1000
    const sessions: RawSession[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < N) {
          next++
          sessions.push(await rawConnect(server.url))
        }
      }),
    )
    expect(sessions).toHaveLength(N)
    const sids = sessions.map((s) => s.sid)
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9_-]{20}$/)
    expect(new Set(sids).size).toBe(N)
    for (const s of sessions) {
      expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(s.streamToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(s.streamToken).not.toBe(s.token)
    }
    expect(new Set(sessions.map((s) => s.token)).size).toBe(N)
    expect(new Set(sessions.map((s) => s.streamToken)).size).toBe(N)

    // 20 base64url chars = 120 bits, and every one of them varies: no counter, clock or fixed prefix.
    // Each bit is set in about half of the ids (binomial(1000, 1/2): sd 15.8; bounds at ±9 sd).
    const ones = new Array<number>(120).fill(0)
    for (const sid of sids) {
      const bytes = Buffer.from(sid, 'base64url')
      expect(bytes.length).toBe(15)
      for (let bit = 0; bit < 120; bit++) if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) ones[bit]!++
    }
    const skewed = ones.map((n, bit) => [bit, n]).filter(([, n]) => n! < 360 || n! > 640)
    expect(skewed).toEqual([])
  })
})

function flipLast(s: string): string {
  const last = s[s.length - 1]
  return s.slice(0, -1) + (last === 'A' ? 'B' : 'A')
}
