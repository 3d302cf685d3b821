import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { openStream, rawConnect, sessionHeaders } from '../support/raw-http.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'

/** onDisconnect exactly once in every ending (DESIGN §3), on Redis with two instances. */
let redis: RedisServer
let prefixes = 0
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(() => redis?.stop())

describe('endings', () => {
  const servers: TestServer[] = []
  const clients: ClientSocket[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    for (const s of servers.splice(0)) await s.close()
  })

  it("another instance's sweep ending a session whose stream is live (its touch came too late) is not a kick: the client stays, the session comes back", async () => {
    const prefix = `end${++prefixes}`
    const connects: boolean[] = []
    const disconnects: string[] = []
    // a keeps its streams' sessions alive every second (its heartbeat), but b counts a session as
    // idle after 300 ms: to b's sweep, a's keep-alive comes too late. (An instance keeps its own
    // sessions alive before its own disconnectTimeout runs out, so the lateness takes two settings.)
    const setup = (io: TestServer['io']) => {
      io.onConnect((socket) => void connects.push(socket.recovered))
      io.onDisconnect((_socket, reason) => void disconnects.push(reason))
    }
    const a = await startServer({ pingInterval: 1000, disconnectTimeout: 6000, store: redisStore(redis.url, { prefix }) }, setup)
    const b = await startServer({ pingInterval: 1000, disconnectTimeout: 300, store: redisStore(redis.url, { prefix }) }, setup)
    servers.push(a, b)
    const socket = connect(a.url, { transports: ['sse'] }) // its stream lives on instance a
    clients.push(socket)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const events: string[] = []
    for (const e of ['disconnect', 'connect']) socket.on(e, () => events.push(e))
    const got: number[] = []
    socket.on('n', (n: number) => got.push(n))

    await sleep(500)
    expect(await b.io.sweep()).toBe(1) // b has no stream of it: it looks gone
    expect(disconnects).toEqual(['ping timeout'])
    // a's next heartbeat finds the session ended and revives it: onConnect again, recovered.
    await until(() => connects.length === 2, 'the session revived by its live stream')
    expect(connects).toEqual([false, true])
    const [remote] = await b.io.fetchSockets()
    expect(remote?.id).toBe(socket.id)
    await remote!.emit('n', 1)
    await until(() => got.length === 1, 'a message after the revival')
    expect(socket.connected).toBe(true)
    expect(events).toEqual([]) // never told it was kicked, never disconnected
  })

  /** POST {url}/message with one message, `n` its id; answers the status. */
  const post = async (url: string, s: { sid: string; token: string }, n: number) => {
    const res = await fetch(`${url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sessionHeaders(s) },
      body: JSON.stringify({ messages: [{ id: n, event: 'm', data: n }] }),
    })
    await res.text()
    return res.status
  }

  it('messages alone keep a session live, with no stream open anywhere; it ends disconnectTimeout after the last', async () => {
    const prefix = `end${++prefixes}`
    const ended: number[] = []
    const a = await startServer({ disconnectTimeout: 1500, sweepInterval: 200, store: redisStore(redis.url, { prefix }) }, (io) => {
      io.onDisconnect(() => void ended.push(Date.now()))
    })
    servers.push(a)
    const s = await rawConnect(a.url)
    const until4s = Date.now() + 4000
    let last = 0
    for (let n = 1; Date.now() < until4s; n++) {
      expect(await post(a.url, s, n)).toBe(200)
      last = Date.now()
      await sleep(250)
    }
    expect(ended).toEqual([]) // 4 s of messages, disconnectTimeout 1.5 s: still live
    await until(() => ended.length === 1, 'the session to end once its client went quiet', 10_000)
    expect(ended[0]! - last).toBeGreaterThanOrEqual(1400)
  })

  it('a client quiet between two polls keeps its session for disconnectTimeout less one heartbeat, whatever the phase of the keep-alive', async () => {
    // Socket.IO ends a silent client between pingTimeout (20 s) and pingInterval + pingTimeout
    // (45 s) after its last sign of life, by where in the ping cycle it fell silent. Here the live
    // index is as fresh as the last keep-alive: a client that stops right after a poll, as a
    // network change or a reconnection's backoff makes it, must have at least
    // disconnectTimeout - pingInterval to come back. Nine pollers stop one second apart (every
    // phase of the keep-alive), stay quiet 8 s (< 14 s - 2 s, with room to spare), poll again.
    const prefix = `end${++prefixes}`
    const disconnects: string[] = []
    const a = await startServer({ pingInterval: 2000, disconnectTimeout: 14_000, sweepInterval: 200, store: redisStore(redis.url, { prefix }) }, (io) =>
      io.onDisconnect((socket, reason) => void disconnects.push(`${socket.id} ${reason}`)),
    )
    servers.push(a)
    const poll = async (s: { sid: string; token: string }) => {
      const res = await fetch(`${a.url}/poll`, { headers: sessionHeaders(s) })
      await res.text()
      return res.status
    }
    const start = Date.now()
    const outcomes = await Promise.all(
      Array.from({ length: 9 }, async (_, k) => {
        const s = await rawConnect(a.url, { transport: 'polling' })
        const statuses = new Set<number>()
        while (Date.now() - start < 12_000 + k * 1000) statuses.add(await poll(s))
        const quietAt = Date.now() - start
        await sleep(8000)
        return { sid: s.sid, statuses: [...statuses], quietAt, after: await poll(s) }
      }),
    )
    await sleep(500) // sweeps run every 200 ms
    expect(disconnects, `quiet from (ms): ${outcomes.map((o) => `${o.sid} ${o.quietAt}`).join(', ')}`).toEqual([])
    expect(outcomes.map((o) => [o.statuses, o.after])).toEqual(outcomes.map(() => [[200], 200]))
  }, 60_000)

  it('a stream that moves to another instance after a run of messages beside it on the first stays live', async () => {
    // The messages on a are claimed beside the stream there and refresh nothing (a's keep-alive
    // keeps the session live while its stream is open). When the stream moves to b, b must not take
    // the claims for a refresh of the live index: the session's record says when it last was one.
    const prefix = `end${++prefixes}`
    const disconnects: string[] = []
    const opts = { disconnectTimeout: 3000, sweepInterval: 200, store: redisStore(redis.url, { prefix }) }
    const setup = (io: TestServer['io']) => io.onDisconnect((_socket, reason) => void disconnects.push(reason))
    const a = await startServer(opts, setup)
    const b = await startServer({ ...opts, store: redisStore(redis.url, { prefix }) }, setup)
    servers.push(a, b)
    const s = await rawConnect(a.url)
    const onA = openStream(`${a.url}/sse`, sessionHeaders(s))
    expect(await onA.status).toBe(200)
    // a keeps it alive every 2 s (disconnectTimeout less a third); messages for 3.5 s, then the move.
    const moveAt = Date.now() + 3500
    for (let n = 1; Date.now() < moveAt; n++) {
      expect(await post(a.url, s, n)).toBe(200)
      await sleep(100)
    }
    onA.close()
    const onB = openStream(`${b.url}/sse`, sessionHeaders(s))
    expect(await onB.status).toBe(200)
    await sleep(5000) // past disconnectTimeout from a's last keep-alive, with sweeps every 200 ms
    expect(disconnects).toEqual([])
    expect(onB.ended).toBe(false)
    expect(onB.frames.some((f) => f.data.c === 'disconnect')).toBe(false)
    onB.close()
  })

  it('a session whose record expired before any sweep still gets onDisconnect, once, and leaves its rooms', async () => {
    const prefix = `end${++prefixes}`
    const ended: string[] = []
    const server = await startServer({ store: redisStore(redis.url, { prefix }), ttl: 1, disconnectTimeout: 500 }, (io) => {
      io.onMessage('join', (socket, room: string) => socket.join(room))
      io.onDisconnect((socket, reason) => void ended.push(`${socket.id}:${reason}`))
    })
    servers.push(server)
    const s = await rawConnect(server.url)
    const res = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-socket-sid': s.sid, 'x-socket-token': s.token },
      body: JSON.stringify({ messages: [{ id: 1, event: 'join', data: 'blue', ack: true }] }),
    })
    expect(res.status).toBe(200)
    expect(await server.io.store.members('blue', 10)).toEqual([s.sid])
    await sleep(1600) // the record's TTL lapses
    expect(await server.io.store.getSession(s.sid)).toBeNull()
    expect(await server.io.sweep()).toBe(1)
    expect(ended).toEqual([`${s.sid}:ping timeout`])
    expect(await server.io.store.members('blue', 10)).toEqual([])
    expect(await server.io.sweep()).toBe(0)
    expect(ended).toHaveLength(1)
  })
  it('a kick while the client has no stream open (between two polls) still reaches it: its next poll reads the disconnect frame', async () => {
    const server = await startServer({ store: redisStore(redis.url, { prefix: `end${++prefixes}` }) })
    servers.push(server)
    const s = await rawConnect(server.url)
    const remote = await server.io.fetchSocket(s.sid)
    await remote!.disconnect()
    const poll = openStream(`${server.url}/poll`, sessionHeaders(s))
    expect(await poll.status).toBe(200)
    await until(() => poll.ended, 'the poll to end')
    expect(poll.frames.map((f) => f.data)).toContainEqual({ c: 'disconnect', reason: 'io server disconnect' })
    // Nothing else is served to a kicked session.
    const post = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sessionHeaders(s) },
      body: JSON.stringify({ messages: [{ id: 1, event: 'x' }] }),
    })
    expect(post.status).toBe(404)
  })
})
