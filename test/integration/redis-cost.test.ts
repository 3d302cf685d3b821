// What Redis pays for scale (DESIGN §3, §8): a room broadcast costs the same number of Redis
// commands for 10 members as for 1,000 (fan-out on read), and idle clients cost no Redis
// connections (one shared subscriber per instance). Measured on a real redis-server with
// CONFIG RESETSTAT / INFO commandstats / CLIENT LIST, around an in-process server.
import http from 'node:http'
import { connect as netConnect } from 'node:net'
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

describe('Redis cost of a message (default timers)', () => {
  it('an acked message from a live client costs two store calls: the claim (which brings the session record) and the finish', async () => {
    // The liveness refresh of a POST is left to the keep-alive of the session's stream on this
    // instance, and the claim script returns the session's record. (Before: HGETALL beside the
    // claim, then the touch script and a ZADD of the live index: 5 calls a message, 3 after the
    // first change, 2 now.)
    const server = await startServer({ store: redisStore(redis.url, { prefix: 'cost6' }) })
    const c = connect(server.url, { transports: ['sse'] })
    try {
      server.io.onMessage('add', (_s, n: number) => n + 1)
      await until(() => c.connected, 'client to connect', 10_000)
      await c.emitWithAck('add', 0)
      const N = 20
      const replies: number[] = []
      const calls = (
        await callsDuring(['cost6'], async () => {
          for (let i = 0; i < N; i++) replies.push(await c.emitWithAck('add', i))
        })
      ).get('cost6')!
      const byCommand: Record<string, number> = {}
      for (const { command } of calls) byCommand[command] = (byCommand[command] ?? 0) + 1
      console.log(`[redis-cost] ${N} acked messages, one at a time: ${calls.length} calls ${JSON.stringify(byCommand)}`)
      expect(replies).toEqual(Array.from({ length: N }, (_, i) => i + 1))
      expect(byCommand.hgetall ?? 0).toBe(0)
      expect(byCommand.zadd ?? 0).toBe(0)
      expect(calls.length).toBeLessThanOrEqual(2 * N + 1) // claim + finish (a keep-alive may fall in)
      expect((await server.io.fetchSocket(c.id!))?.id).toBe(c.id)
    } finally {
      c.disconnect()
      await server.close()
    }
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
  /** `burst` broadcasts in a row: members come back behind the head, and still read nothing. */
  /** `warm`: a first broadcast after the joins, not measured (without it the measured one is the first). */
  async function pollBroadcast(room: string, n: number, burst = 1, warm = true) {
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
    if (warm) {
      await server!.io.to(room).emit('msg', 'warm')
      await until(() => joined.every((c) => got.get(c)!.includes('warm')) && parked(), `warm-up to ${n} pollers`, 20_000)
    } else await until(parked, `${n} pollers to park`, 20_000)
    await sleep(300)
    const sent = Array.from({ length: burst }, (_, i) => (i === burst - 1 ? 'measured' : `burst-${i}`))
    const cost = await commandsDuring(async () => {
      for (const m of sent) await server!.io.to(room).emit('msg', m)
      await until(() => joined.every((c) => got.get(c)!.includes('measured')) && parked(), `delivery to ${n} pollers`, 20_000)
      await sleep(300)
    })
    // Every member got every message once, in order.
    for (const c of joined) expect(got.get(c)!.slice(-burst)).toEqual(sent)
    for (const c of joined) expect(got.get(c)!.filter((m) => m === 'measured')).toHaveLength(1)
    return cost
  }

  it('a room broadcast to 10 or 100 polling members on one instance costs the same commands (no read per member)', async () => {
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost3' }) })
    const few = await pollBroadcast('poll-few', 10)
    const many = await pollBroadcast('poll-many', 100)
    console.log(`[redis-cost] polling broadcast: 10 members -> ${JSON.stringify(few)}, 100 members -> ${JSON.stringify(many)}`)
    // The append (one script: HINCRBY, HGET of the epoch, XADD, EXPIRE x2, PUBLISH), then every
    // member's poll is answered from the notification and its next poll is held without a store
    // call: the instance knows each session (it watches its direct log) and each log's head. At
    // most one keep-alive of the instance (a script of 5 commands for all its sessions) may fall in
    // the window; nothing grows with the members.
    for (const cost of [few, many]) {
      expect(cost.byCommand.hgetall ?? 0).toBe(0) // no session read
      expect(cost.byCommand.hmget ?? 0).toBe(0) // no log read
      expect(cost.byCommand.xrange ?? 0).toBe(0)
      expect(cost.byCommand.evalsha).toBeLessThanOrEqual(2)
      expect(cost.total).toBeLessThanOrEqual(7 + 6)
    }
    expect(Math.abs(many.total - few.total)).toBeLessThanOrEqual(6)
    // Ten broadcasts in a row: polls come back while more are appended, a few entries behind the
    // head, and take them from what the instance was notified of: ten appends, no read.
    const burst = await pollBroadcast('poll-burst', 100, 10)
    console.log(`[redis-cost] polling burst: 10 broadcasts to 100 members -> ${JSON.stringify(burst)}`)
    expect(burst.byCommand.hgetall ?? 0).toBe(0)
    expect(burst.byCommand.hmget ?? 0).toBe(0)
    expect(burst.byCommand.xrange ?? 0).toBe(0)
    expect(burst.byCommand.evalsha).toBeLessThanOrEqual(10 + 1)
  })

  it('the first broadcast after the members connected and joined costs no session read either', async () => {
    // A session's first poll on an instance reads its record before the instance watches its direct
    // log; the record plus the joins that poll's first read delivers is kept. (Before: one HGETALL
    // per member at the first broadcast, 998 of 1,000 in the bench.)
    await server?.close()
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost7' }) })
    const first = await pollBroadcast('poll-first', 50, 1, false)
    console.log(`[redis-cost] polling, first broadcast after connecting and joining: 50 members -> ${JSON.stringify(first)}`)
    expect(first.byCommand.hgetall ?? 0).toBe(0)
    expect(first.total).toBeLessThanOrEqual(7 + 6)
  })

  it('a warm member joining or leaving a room costs no session read at the next broadcast', async () => {
    // A join or leave changes the session's record and is then appended to its direct log: the
    // instance applies it to the record it keeps instead of dropping it, so the members' next polls
    // read no session. (Before: one HGETALL per member at the first broadcast after a join.)
    await server?.close()
    server = await startServer({ store: redisStore(redis.url, { prefix: 'cost5' }) })
    await pollBroadcast('poll-first', 50)
    const members = clients.slice(-50)
    const got = new Map(members.map((c) => [c, [] as string[]]))
    for (const c of members) c.on('later', (m: string) => got.get(c)!.push(m))
    const sockets = await Promise.all(members.map(async (c) => (await server!.io.fetchSocket(c.id!))!))
    for (const s of sockets) await s.join('poll-later')
    for (const s of sockets.slice(0, 10)) await s.leave('poll-first')
    await sleep(300)
    const cost = await commandsDuring(async () => {
      await server!.io.to('poll-later').emit('later', 'after-join')
      await server!.io.to('poll-first').emit('later', 'after-leave')
      await until(() => members.every((c) => got.get(c)!.length === (members.indexOf(c) < 10 ? 1 : 2)), 'delivery after the joins', 20_000)
      await sleep(300)
    })
    console.log(`[redis-cost] polling, first broadcasts after 50 joins and 10 leaves: ${JSON.stringify(cost)}`)
    for (const [i, c] of members.entries()) expect(got.get(c)).toEqual(i < 10 ? ['after-join'] : ['after-join', 'after-leave'])
    expect(cost.byCommand.hgetall ?? 0).toBe(0)
    expect(cost.byCommand.evalsha).toBeLessThanOrEqual(2 + 1)
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

/**
 * Every command clients send to Redis while `fn` runs (MONITOR), less the commands scripts run
 * inside (Redis shows those as `[0 lua]`): the calls a store makes, what Upstash bills. Only the
 * lines naming `prefix` (every key and channel of a server starts with it) count.
 */
async function callsDuring(prefix: string[], fn: () => Promise<void>): Promise<Map<string, { command: string; at: number }[]>> {
  const socket = netConnect({ host: '127.0.0.1', port: redis.port })
  let text = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => void (text += chunk))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('error', reject)
  })
  socket.write('MONITOR\r\n')
  await until(() => text.startsWith('+OK'), 'MONITOR to start', 5000)
  try {
    await fn()
  } finally {
    socket.destroy()
  }
  const out = new Map(prefix.map((p) => [p, [] as { command: string; at: number }[]]))
  for (const line of text.split('\r\n')) {
    const m = /^\+([\d.]+) \[\d+ ([^\]]+)\] "([^"]+)"(.*)$/.exec(line)
    if (!m || m[2] === 'lua') continue
    for (const p of prefix) if (m[4]!.includes(`"${p}:`)) out.get(p)!.push({ command: m[3]!.toLowerCase(), at: Number(m[1]) * 1000 })
  }
  return out
}

describe('Redis cost of idle clients (timers on)', () => {
  const servers: TestServer[] = []
  const streams: RawStream[] = []
  const clients: ClientSocket[] = []
  afterAll(async () => {
    for (const s of streams.splice(0)) s.close()
    for (const c of clients.splice(0)) c.disconnect()
    for (const s of servers.splice(0)) await s.close()
  })

  // The defaults' timing, 25 times faster: heartbeats (and a held poll's length) every 1 s instead
  // of 25 s, so a keep-alive comes once per heartbeat, as at the defaults (disconnectTimeout is
  // kept longer than 45 s scaled, for a loaded machine's late timers). Everything else is the default.
  const PING = 1000
  const SCALED = { pingInterval: PING, disconnectTimeout: 6600 }
  const DEFAULT_HEARTBEATS_PER_MINUTE = 60_000 / 25_000

  it('an idle SSE client and an idle polling client each cost at most 2.4 store calls a minute at the defaults', async () => {
    const sseServer = await startServer({ store: redisStore(redis.url, { prefix: 'idle-sse' }), ...SCALED })
    const pollServer = await startServer({ store: redisStore(redis.url, { prefix: 'idle-poll' }), ...SCALED })
    servers.push(sseServer, pollServer)
    let disconnects = 0
    for (const s of servers) s.io.onDisconnect(() => void disconnects++)
    const sse = connect(sseServer.url, { transports: ['sse'] })
    const poll = connect(pollServer.url, { transports: ['polling'] })
    clients.push(sse, poll)
    await until(() => sse.connected && poll.connected, 'the two clients to connect', 20_000)
    await sleep(PING * 2) // the opening requests and the first polls are done
    const started = Date.now()
    const calls = await callsDuring(['idle-sse', 'idle-poll'], async () => void (await sleep(PING * 20)))
    const heartbeats = (Date.now() - started) / PING
    // The steady rate: calls after the window's first one, over the time from the first to the
    // last (a window's edges would otherwise add up to one call to however few it holds).
    const rates = new Map<string, number>()
    for (const [prefix, list] of calls) {
      const span = list.length > 1 ? (list.at(-1)!.at - list[0]!.at) / PING : 0
      rates.set(prefix, span > 0 ? ((list.length - 1) / span) * DEFAULT_HEARTBEATS_PER_MINUTE : Infinity)
    }
    const report = Object.fromEntries(
      [...calls].map(([prefix, list]) => [prefix, { calls: list.length, commands: [...new Set(list.map((c) => c.command))], perMinuteAtDefaults: rates.get(prefix)!.toFixed(2) }]),
    )
    console.log(`[redis-cost] one idle client alone on its instance, ${heartbeats.toFixed(1)} heartbeats: ${JSON.stringify(report)}`)
    for (const [prefix, list] of calls) {
      // Only keep-alives (one script each): no session read, no log read, no touch, no sweep, no cursor.
      expect(list.filter((c) => c.command !== 'evalsha')).toEqual([])
      expect(list.length).toBeGreaterThanOrEqual(15) // it was measured: a keep-alive a heartbeat
      expect(list.length).toBeLessThanOrEqual(Math.ceil(heartbeats) + 1)
      expect(rates.get(prefix)).toBeLessThanOrEqual(2.4 * 1.05) // the span's edges: a timer a few ms late
    }
    // They were idle, not gone: both are still connected, no session was ended, and a message
    // still reaches each of them once.
    expect(disconnects).toBe(0)
    const got: string[] = []
    sse.on('msg', (m: string) => got.push(`sse:${m}`))
    poll.on('msg', (m: string) => got.push(`poll:${m}`))
    await sseServer.io.emit('msg', 'after')
    await pollServer.io.emit('msg', 'after')
    await until(() => got.length === 2, 'a message to each idle client', 10_000)
    await sleep(200)
    expect(got.sort()).toEqual(['poll:after', 'sse:after'])
    expect(sse.connected && poll.connected).toBe(true)
    for (const c of clients.splice(0)) c.disconnect()
    for (const s of servers.splice(0)) await s.close()
  })

  it('keep-alives cost one call per instance per keep-alive interval, whatever the number of idle streams, and write no cursor', async () => {
    const server = await startServer({ store: redisStore(redis.url, { prefix: 'idle' }), ...SCALED })
    servers.push(server)
    const KEEP_ALIVE = PING
    const measure = async (n: number) => {
      streams.push(...(await openStreams(server, await connectMany(server, n))))
      await sleep(PING * 1.5) // the streams' opening touches are done
      const started = Date.now()
      const cost = await commandsDuring(async () => void (await sleep(KEEP_ALIVE * 4)))
      const periods = (Date.now() - started) / KEEP_ALIVE
      return { cost, periods }
    }
    const one = await measure(1)
    const many = await measure(29) // 30 streams now
    console.log(`[redis-cost] idle: 1 stream -> ${JSON.stringify(one)}, 30 streams -> ${JSON.stringify(many)}`)
    for (const { cost, periods } of [one, many]) {
      // One KEEP_ALIVE script per interval, and nothing else: no sweep while nothing is idle.
      // (Inside it: ZMSCORE, ZADD, TIME and two ZRANGEBYSCORE, whatever the number of streams.)
      expect(cost.byCommand.evalsha ?? 0).toBeLessThanOrEqual(Math.ceil(periods))
      expect(cost.total).toBeLessThanOrEqual(6 * Math.ceil(periods))
      // No write to the session records: no cursor, no lastSeen (the TTL is refreshed once per ttl/4).
      expect(cost.byCommand.hset ?? 0).toBe(0)
    }
    for (const s of streams) expect(s.frames.filter((f) => f.includes('"c":"open"'))).toHaveLength(1)
  })
})
