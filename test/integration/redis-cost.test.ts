// What Redis pays for scale (DESIGN §3, §8): a room broadcast costs the same number of Redis
// commands for 10 members as for 1,000 (fan-out on read), and idle clients cost no Redis
// connections (one shared subscriber per instance). Measured on a real redis-server with
// CONFIG RESETSTAT / INFO commandstats / CLIENT LIST, around an in-process server.
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { redisCommand, redisInfo, startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'

let redis: RedisServer
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.destroy()
})

/** Commands Redis ran (script bodies' commands included) while `fn` ran, by command. */
async function commandsDuring(fn: () => Promise<void>): Promise<{ total: number; byCommand: Record<string, number> }> {
  await redisCommand(redis.port, 'CONFIG', 'RESETSTAT')
  await fn()
  const stats = await redisInfo(redis.port, 'commandstats')
  const byCommand: Record<string, number> = {}
  let total = 0
  for (const [field, value] of stats) {
    const name = field.replace(/^cmdstat_/, '')
    if (name === 'info' || name.startsWith('config')) continue // the measurement itself
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0)
    if (calls > 0) {
      byCommand[name] = calls
      total += calls
    }
  }
  return { total, byCommand }
}

async function clientCount(): Promise<number> {
  const list = String(await redisCommand(redis.port, 'CLIENT', 'LIST'))
  return list.split('\n').filter((l) => l.trim()).length
}

/** A raw SSE stream: POST connect, then GET sse; resolves once its open frame arrived. */
interface RawStream {
  sid: string
  token: string
  /** data lines received so far */
  frames: string[]
  close(): void
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })

async function rawConnect(server: TestServer, transport = 'sse'): Promise<{ sid: string; token: string }> {
  const res = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transport }) })
  expect(res.status).toBe(200)
  return (await res.json()) as { sid: string; token: string }
}

function openStream(server: TestServer, s: { sid: string; token: string }): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const frames: string[] = []
    let buf = ''
    let opened = false
    const req = http.get(
      `${server.url}/sse`,
      { agent, headers: { 'x-socket-sid': s.sid, 'x-socket-token': s.token, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`sse: ${res.statusCode}`))
          res.resume()
          return
        }
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buf += chunk
          let end: number
          while ((end = buf.indexOf('\n\n')) !== -1) {
            const block = buf.slice(0, end)
            buf = buf.slice(end + 2)
            for (const line of block.split('\n')) if (line.startsWith('data: ')) frames.push(line.slice(6))
          }
          if (!opened && frames.some((f) => f.includes('"c":"open"'))) {
            opened = true
            resolve({ ...s, frames, close: () => req.destroy() })
          }
        })
        res.on('error', () => {})
      },
    )
    req.on('error', (e) => {
      if (!opened) reject(e)
    })
  })
}

/** Opens streams `batch` at a time (2 cores: no thundering herd). */
async function openStreams(server: TestServer, sessions: { sid: string; token: string }[], batch = 50): Promise<RawStream[]> {
  const out: RawStream[] = []
  for (let i = 0; i < sessions.length; i += batch) {
    out.push(...(await Promise.all(sessions.slice(i, i + batch).map((s) => openStream(server, s)))))
  }
  return out
}

async function connectMany(server: TestServer, n: number, batch = 50): Promise<{ sid: string; token: string }[]> {
  const out: { sid: string; token: string }[] = []
  for (let i = 0; i < n; i += batch) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => rawConnect(server)))))
  }
  return out
}

// No timers during a measurement: no sweep timer, no heartbeat touch.
const QUIET = { pingInterval: 600_000, sweepInterval: 0, disconnectTimeout: 3_600_000 }

describe('Redis cost of a room broadcast', () => {
  let server: TestServer | undefined
  afterAll(async () => {
    await server?.close()
  })

  it('io.to(room).emit issues the same few commands for 10 and for 1,000 members', async () => {
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost1' }), ...QUIET })
    const { io } = server
    const store = io.store
    const limits = io.core.limits
    const now = Date.now()
    // Members are sessions in the store's member set: 10 in one room, 1,000 in the other.
    for (const [room, n] of [['small', 10], ['big', 1000]] as const) {
      for (let i = 0; i < n; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, n - i) }, async (_, j) => {
            const sid = `${room}-${i + j}`
            await store.createSession({ sid, token: 't', user: null, state: {}, rooms: {}, transport: 'sse', createdAt: now, lastSeen: now }, limits)
            await store.joinRoom(sid, room, limits)
          }),
        )
      }
    }
    expect(await store.members('small', 10_000)).toHaveLength(10)
    expect(await store.members('big', 10_000)).toHaveLength(1000)
    await io.to('warm-up').emit('x', 0) // loads the scripts (a first EVALSHA may fall back to EVAL)
    // A log's first append also makes its epoch: measure appends to logs that exist, as a chat's are.
    await io.to('small').emit('x', 0)
    await io.to('big').emit('x', 0)

    const small = await commandsDuring(() => io.to('small').emit('msg', { text: 'hello' }))
    const big = await commandsDuring(() => io.to('big').emit('msg', { text: 'hello' }))
    console.log(`[redis-cost] room broadcast: 10 members -> ${JSON.stringify(small)}, 1,000 members -> ${JSON.stringify(big)}`)
    expect(big).toEqual(small)
    // One script call; Redis also counts the commands inside it (HINCRBY, HGET of the log's epoch,
    // XADD, EXPIRE x2, PUBLISH).
    expect(small.byCommand.evalsha).toBe(1)
    expect(small.total).toBeLessThanOrEqual(7)
  })

  it('delivery to 10 or 200 open streams on one instance costs the same commands (one notification, no reads)', async () => {
    await server?.close()
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost2' }), ...QUIET })
    const { io } = server
    const measure = async (room: string, n: number) => {
      const sessions = await connectMany(server!, n)
      for (const s of sessions) await (await io.fetchSocket(s.sid))!.join(room)
      const streams = await openStreams(server!, sessions) // the room is in the session: read from the start
      try {
        const has = (tag: string) => streams.every((s) => s.frames.some((f) => f.includes(tag)))
        await io.to(room).emit('msg', 'warm')
        await until(() => has('"warm"'), `warm-up delivery to ${n} streams`, 20_000)
        const cost = await commandsDuring(async () => {
          await io.to(room).emit('msg', 'measured')
          await until(() => has('"measured"'), `delivery to ${n} streams`, 20_000)
          await sleep(200) // any read a stream would make after the delivery lands in the window too
        })
        for (const s of streams) expect(s.frames.filter((f) => f.includes('"measured"'))).toHaveLength(1)
        return cost
      } finally {
        for (const s of streams) s.close()
      }
    }
    const few = await measure('few', 10)
    const many = await measure('many', 200)
    console.log(`[redis-cost] delivery: 10 streams -> ${JSON.stringify(few)}, 200 streams -> ${JSON.stringify(many)}`)
    expect(many).toEqual(few)
    expect(few.total).toBeLessThanOrEqual(7)
  })
})

describe('Redis connections of idle clients', () => {
  let server: TestServer | undefined
  let streams: RawStream[] = []
  afterAll(async () => {
    for (const s of streams) s.close()
    await server?.close()
  })

  it('1,000 idle SSE clients on one instance open no Redis connection', async () => {
    server = await startServer({ store: redisStore(redis.url, { prefix: 'conns' }), ...QUIET })
    // One stream first, so the instance's own connections (commands + shared subscriber) exist.
    streams.push(...(await openStreams(server, await connectMany(server, 1))))
    const before = await clientCount()
    const N = 1000
    streams.push(...(await openStreams(server, await connectMany(server, N))))
    expect(server.io.hub.streamCount).toBe(N + 1)
    const after = await clientCount()
    console.log(`[redis-cost] redis connections: ${before} with 1 stream, ${after} with ${N + 1} streams`)
    expect(after).toBe(before)
    // They are really live: one broadcast reaches every one of them.
    await server.io.emit('ping-all', 1)
    await until(() => streams.every((s) => s.frames.some((f) => f.includes('"ping-all"'))), 'broadcast to all streams', 30_000)
    for (const s of streams.splice(0)) s.close()
    await until(() => server!.io.hub.streamCount === 0, 'streams to close', 10_000)
    expect(await clientCount()).toBe(before)
  })
})

describe('Redis cost of polling clients (default timers)', () => {
  let server: TestServer | undefined
  const clients: ClientSocket[] = []
  afterAll(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
  })

  /** n polling clients in `room`; one room broadcast measured once every client is parked again. */
  async function pollBroadcast(room: string, n: number) {
    const got = new Map<ClientSocket, string[]>()
    const joined: ClientSocket[] = []
    for (let i = 0; i < n; i++) {
      const c = connect(server!.url, { transports: ['polling'] })
      clients.push(c)
      got.set(c, [])
      c.on('msg', (m: string) => got.get(c)!.push(m))
      joined.push(c)
    }
    await until(() => joined.every((c) => c.connected), `${n} polling clients to connect`, 20_000)
    for (const c of joined) await (await server!.io.fetchSocket(c.id!))!.join(room)
    const parked = () => server!.io.hub.streamCount >= clients.filter((c) => c.connected).length
    await server!.io.to(room).emit('msg', 'warm')
    await until(() => joined.every((c) => got.get(c)!.includes('warm')) && parked(), `warm-up to ${n} pollers`, 20_000)
    await sleep(300)
    const cost = await commandsDuring(async () => {
      await server!.io.to(room).emit('msg', 'measured')
      await until(() => joined.every((c) => got.get(c)!.includes('measured')) && parked(), `delivery to ${n} pollers`, 20_000)
      await sleep(300)
    })
    for (const c of joined) expect(got.get(c)!.filter((m) => m === 'measured')).toHaveLength(1)
    return cost
  }

  it('a room broadcast costs each polling member one command (its next poll), however large the room', async () => {
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost3' }) })
    const few = await pollBroadcast('poll-few', 10)
    const many = await pollBroadcast('poll-many', 50)
    console.log(`[redis-cost] polling broadcast: 10 members -> ${JSON.stringify(few)}, 50 members -> ${JSON.stringify(many)}`)
    // The append (one script), then each member's next poll reads its session (HGETALL) and no log:
    // the instance's subscriptions tell it the poll is at the head of every log. A poll also
    // touches its session (one script and a ZADD) when neither its record nor this instance's
    // heartbeats refreshed it within disconnectTimeout / 4 (slow set-up under load).
    for (const [cost, n] of [[few, 10], [many, 50]] as const) {
      const touches = (cost.byCommand.evalsha ?? 0) - 1
      expect(touches).toBeLessThanOrEqual(n)
      expect(cost.byCommand.hgetall).toBe(n)
      expect(cost.byCommand.xrange ?? 0).toBe(0) // no log read
      expect(cost.total).toBeLessThanOrEqual(6 + n + 8 * touches)
    }
  })

  it('a poll on an instance that never saw the session costs the same store calls whatever its rooms', async () => {
    await server?.close()
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost4' }) })
    const make = async (rooms: number) => {
      const s = await rawConnect(server!, 'polling')
      const socket = (await server!.io.fetchSocket(s.sid))!
      for (let i = 0; i < rooms; i++) {
        await socket.join(`cold-${rooms}-${i}`)
        await server!.io.to(`cold-${rooms}-${i}`).emit('msg', i)
      }
      return s
    }
    const one = await make(1)
    const six = await make(6)
    const warm = await make(0)
    // Another instance (same Redis): it has no subscription and knows no head of these logs.
    const cold = await startServer({ store: redisStore(redis.url, { prefix: 'cost4' }) })
    try {
      const poll = async (s: { sid: string; token: string }) => {
        const res = await fetch(`${cold.url}/poll?wait=0`, { headers: { 'x-socket-sid': s.sid, 'x-socket-token': s.token } })
        expect(res.status).toBe(200)
        return res.text()
      }
      await poll(warm) // the instance's connections and the broadcast log's subscription
      let text = ''
      const oneRoom = await commandsDuring(async () => void (text = await poll(one)))
      expect(text.match(/"e":"msg"/g)).toHaveLength(1)
      const sixRooms = await commandsDuring(async () => void (text = await poll(six)))
      expect(text.match(/"e":"msg"/g)).toHaveLength(6)
      console.log(`[redis-cost] cold poll: 1 room -> ${JSON.stringify(oneRoom)}, 6 rooms -> ${JSON.stringify(sixRooms)}`)
      // Store calls: the session (HGETALL), one SUBSCRIBE for all its logs, one script reading them all.
      for (const cost of [oneRoom, sixRooms]) {
        expect(cost.byCommand.hgetall).toBe(1)
        expect(cost.byCommand.subscribe).toBe(1)
        expect(cost.byCommand.evalsha).toBe(1)
      }
    } finally {
      await cold.close()
    }
  })
})

describe('Redis cost of idle SSE clients (timers on)', () => {
  let server: TestServer | undefined
  const streams: RawStream[] = []
  afterAll(async () => {
    for (const s of streams.splice(0)) s.close()
    await server?.close()
  })

  // A short pingInterval so that a few heartbeats fit in seconds; everything else is the default.
  const PING = 1000

  it('heartbeats cost one command per instance per pingInterval, whatever the number of idle streams, and write no cursor', async () => {
    server = await startServer({ store: redisStore(redis.url, { prefix: 'idle' }), pingInterval: PING })
    const measure = async (n: number) => {
      streams.push(...(await openStreams(server!, await connectMany(server!, n))))
      await sleep(PING * 1.5) // the streams' opening touches are done
      const started = Date.now()
      const cost = await commandsDuring(async () => void (await sleep(PING * 4)))
      const ticks = (Date.now() - started) / PING
      return { cost, ticks }
    }
    const one = await measure(1)
    const many = await measure(29) // 30 streams now
    console.log(`[redis-cost] idle: 1 stream -> ${JSON.stringify(one)}, 30 streams -> ${JSON.stringify(many)}`)
    for (const { cost, ticks } of [one, many]) {
      // One KEEP_ALIVE script per heartbeat, and nothing else: no sweep while nothing is idle.
      // (Inside it: ZMSCORE, ZADD, TIME and two ZRANGEBYSCORE, whatever the number of streams.)
      expect(cost.byCommand.evalsha ?? 0).toBeLessThanOrEqual(Math.ceil(ticks))
      expect(cost.total).toBeLessThanOrEqual(6 * Math.ceil(ticks))
      // No write to the session records: no cursor, no lastSeen (the TTL is refreshed once per ttl/4).
      expect(cost.byCommand.hset ?? 0).toBe(0)
    }
    for (const s of streams) expect(s.frames.filter((f) => f.includes('"c":"open"'))).toHaveLength(1)
  })
})
