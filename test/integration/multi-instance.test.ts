// Many instances on one Redis, behind a round-robin balancer (no stickiness): every request of a
// client may land on another instance. Real redis-server, real server processes
// (test/apps/cluster/server.mjs), the client SDK. Every message is counted: none lost, none
// duplicated, order kept (DESIGN §3, §4, §7).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { startInstances, type Instances } from '../support/instances.js'
import { outputDir, ROOT } from '../support/paths.js'
import { startProcess, type ChildHandle } from '../support/processes.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, until } from '../support/server.js'
import { transports, type TransportCase } from '../support/transports.js'
import { cleanupsAfterEach } from '../support/cleanups.js'

type Transport = TransportCase['transports'][number]

// ---- per-test resources, cleaned up after each test -----------------------------------------

const cleanups = cleanupsAfterEach()

async function redisServer(opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const redis = await startRedis(opts)
  cleanups.push(() => redis.destroy())
  return redis
}

async function deployment(n: number, env: Record<string, string | undefined>): Promise<Instances> {
  const dep = await startInstances(n, env)
  cleanups.push(() => dep.close())
  return dep
}

interface Opened {
  socket: ClientSocket
  id: string
}

/** Connects through the balancer; resolves once connected. The default reconnection is patient enough for dying instances. */
async function open(url: string, only: Transport[], extra: Parameters<typeof connect>[1] = {}): Promise<Opened> {
  const socket = connect(url, { transports: only, ...extra })
  cleanups.push(() => socket.disconnect())
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('client did not connect within 20 s')), 20_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return { socket, id: socket.id! }
}

/** n clients, opened a few at a time. */
async function openMany(n: number, url: string, only: Transport[], extra?: Parameters<typeof connect>[1]): Promise<Opened[]> {
  const out: Opened[] = []
  for (let i = 0; i < n; i += 4) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(4, n - i) }, () => open(url, only, extra)))))
  }
  return out
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** Ports of the instances that served a receive request (SSE or poll) of these sessions. */
function streamPorts(dep: Instances, sids: string[]): Set<number> {
  const want = new Set(sids)
  return new Set(dep.balancer.log.filter((e) => e.sid && want.has(e.sid) && /\/(sse|poll)$/.test(e.path) && e.status === 200).map((e) => e.port))
}

interface Counted {
  /** `n` of every 'msg' frame, in arrival order */
  got: number[]
}

function countMessages(socket: ClientSocket, room: string): Counted {
  const c: Counted = { got: [] }
  socket.on('msg', (m: { room: string; n: number }) => {
    if (m.room === room) c.got.push(m.n)
  })
  return c
}

function summary(got: number[], expected: number[]): string {
  const seen = new Set<number>()
  let dup = 0
  for (const n of got) seen.has(n) ? dup++ : seen.add(n)
  const lost = expected.filter((n) => !seen.has(n)).length
  let outOfOrder = 0
  for (let i = 1; i < got.length; i++) if (got[i]! < got[i - 1]!) outOfOrder++
  const dups = [...new Set(got.filter((n, i) => got.indexOf(n) !== i))].slice(0, 10)
  return `received ${got.length}, lost ${lost}, duplicated ${dup}${dups.length ? ` (n = ${dups.join(', ')})` : ''}, out of order ${outOfOrder}`
}

// ---- scenarios ----------------------------------------------------------------------------------

describe.each(transports)('multi-instance over $name', ({ transports: only }) => {
  it('room broadcast and io.emit reach every client on every instance; emitWithAck resolves across instances', async () => {
    const redis = await redisServer()
    // Streams are cut every ~1.5 s, so clients also resume on other instances while messages flow.
    const dep = await deployment(3, { REDIS_URL: redis.url, MAX_STREAM_MS: '1500' })
    const clients = await openMany(12, dep.url, only)
    const members = clients.slice(0, 10)
    const outsiders = clients.slice(10)
    for (const c of members) expect(await c.socket.emitWithAck('join', { room: 'r1' })).toBe('joined')

    const room = clients.map((c) => countMessages(c.socket, 'r1'))
    const everyone = clients.map((c) => {
      const got: number[] = []
      c.socket.on('all', (m: { n: number }) => got.push(m.n))
      return got
    })

    // Room: 50 messages from one member, paced over ~1.5 s of stream cuts.
    const ROOM_N = 50
    const acks: Promise<unknown>[] = []
    for (let n = 0; n < ROOM_N; n++) {
      acks.push(members[0]!.socket.emitWithAck('say', { room: 'r1', n }, { timeout: 30_000 }).catch((err: Error) => `rejected: ${err}`))
      await sleep(30)
    }
    expect(await Promise.all(acks)).toEqual(range(ROOM_N).map((n) => ({ room: 'r1', n })))

    // io.emit from a handler: every client, members or not.
    const ALL_N = 5
    for (let n = 0; n < ALL_N; n++) expect(await outsiders[0]!.socket.emitWithAck('everyone', { n })).toEqual({ n })

    await until(
      () => room.slice(0, 10).every((c) => c.got.length >= ROOM_N) && everyone.every((g) => g.length >= ALL_N),
      'every client to receive every message',
      30_000,
    )
    await sleep(500) // duplicates would arrive now
    members.forEach((_, i) => expect(room[i]!.got, `member ${i}: ${summary(room[i]!.got, range(ROOM_N))}`).toEqual(range(ROOM_N)))
    outsiders.forEach((_, i) => expect(room[10 + i]!.got).toEqual([]))
    everyone.forEach((got, i) => expect(got, `client ${i}`).toEqual(range(ALL_N)))

    // The clients' streams were spread over all three instances.
    expect(streamPorts(dep, clients.map((c) => c.id))).toEqual(new Set(dep.ports))

    // Server emitWithAck: the question goes out from the instance that ran 'ask'; the client's ack
    // POST goes wherever the balancer sends it, and the answer still comes back.
    for (const c of clients) {
      c.socket.on('question', (q: { x: number }, ack: (a: unknown) => void) => ack({ double: q.x * 2, sid: c.id }))
    }
    const ASKS = 3
    const results = await Promise.all(
      clients.map(async (c, k) => {
        const out: { answer: { double: number; sid: string }; port: number }[] = []
        for (let j = 0; j < ASKS; j++) {
          const x = k * 100 + j
          const r = (await c.socket.emitWithAck('ask', { x }, { timeout: 40_000 })) as (typeof out)[number]
          expect(r.answer).toEqual({ double: x * 2, sid: c.id })
          out.push(r)
        }
        return out
      }),
    )
    // Asks of one client are sequential, so its n-th accepted /ack POST answers its n-th ask. (The
    // ask may resolve before the /ack POST's own response is back: wait for those.)
    const ids = new Set(clients.map((c) => c.id))
    await until(() => dep.balancer.log.every((e) => !(e.sid && ids.has(e.sid) && e.path.endsWith('/ack')) || e.status > 0), 'ack POSTs to be answered', 10_000)
    let crossed = 0
    clients.forEach((c, k) => {
      const ackPorts = dep.balancer.log.filter((e) => e.sid === c.id && e.path.endsWith('/ack') && e.status === 200).map((e) => e.port)
      expect(ackPorts, JSON.stringify(dep.balancer.log.filter((e) => e.sid === c.id && !/(sse|poll)$/.test(e.path)))).toHaveLength(ASKS)
      results[k]!.forEach((r, j) => {
        if (r.port !== ackPorts[j]) crossed++
      })
    })
    expect(crossed).toBeGreaterThan(0)
  }, 120_000)

  it('kill -9 of an instance serving streams mid-traffic: every client gets every accepted message of 1,000 exactly once, in order', async () => {
    const redis = await redisServer()
    const dep = await deployment(3, { REDIS_URL: redis.url })
    const clients = await openMany(6, dep.url, only)
    for (const c of clients) expect(await c.socket.emitWithAck('join', { room: 'k' })).toBe('joined')
    const counts = clients.map((c) => countMessages(c.socket, 'k'))
    const disconnects = clients.map(() => 0)
    clients.forEach((c, i) => c.socket.on('disconnect', () => disconnects[i]++))

    const N = 1000
    const KILL_AT = 300
    const sender = clients[0]!.socket
    const acked: number[] = []
    /** n -> error code, for the messages whose ack was an error */
    const ackErrors = new Map<number, string>()
    const answered: number[] = [] // n, in the order their acks came back
    let victim = -1
    let killedAt = 0
    for (let n = 0; n < N; n++) {
      sender.emit('say', { room: 'k', n }, (reply: unknown) => {
        answered.push(n)
        if (reply instanceof Error) ackErrors.set(n, (reply as Error & { code?: string }).code ?? String(reply))
        else acked.push((reply as { n: number }).n)
      })
      if (n === KILL_AT) {
        // The instance holding the most open receive requests of our clients right now.
        const open = dep.ports.map((p) => dep.balancer.open(p, only[0] === 'sse' ? '/sse' : '/poll'))
        victim = open.indexOf(Math.max(...open))
        await dep.kill9(victim)
        killedAt = Date.now()
      }
      await sleep(3)
    }
    expect(victim).toBeGreaterThanOrEqual(0)

    await until(() => answered.length === N, 'the sender to get an ack for every message', 120_000)
    // Every message answered exactly once. Acks come back as each POST finishes (DESIGN §3: a slow
    // handler delays no other; several POSTs are in flight by default), so not in emit order; the
    // handlers' effects are checked in emit order below.
    expect([...answered].sort((a, b) => a - b)).toEqual(range(N))
    // The only acceptable ack error: INTERRUPTED, for the messages whose POST was running on the
    // killed instance (their handler ran at most once, and the client is told).
    expect([...ackErrors.values()].filter((code) => code !== 'INTERRUPTED')).toEqual([])
    expect(ackErrors.size).toBeLessThanOrEqual(50)
    // Every message acked OK reaches every client; an interrupted one reaches all of them or none.
    await until(() => counts.every((c) => acked.every((n) => c.got.includes(n))), 'every client to receive all accepted messages', 120_000)
    const recoveredIn = Date.now() - killedAt
    await sleep(1000) // duplicates would arrive now
    const posts = dep.balancer.log.filter((e) => e.sid === clients[0]!.id && e.path.endsWith('/message'))
    console.log(
      `[kill -9 over ${only}] victim :${dep.ports[victim]}; all delivered ${recoveredIn} ms after the kill; sender POSTs: ${posts.length}, ` +
        `to the victim ${posts.filter((e) => e.port === dep.ports[victim]).length}, rerouted ${posts.filter((e) => e.skipped > 0).length}, ` +
        `non-200 ${JSON.stringify(posts.filter((e) => e.status !== 200).map((e) => e.status))}; ` +
        `interrupted ${JSON.stringify([...ackErrors.keys()])}; client disconnect events ${disconnects.join(',')}`,
    )
    acked.sort((a, b) => a - b)
    const ok = new Set(acked)
    const delivered = counts[0]!.got
    counts.forEach((c, i) => {
      const what = `client ${i}: ${summary(c.got, acked)}`
      expect(c.got.every((n, j) => j === 0 || n > c.got[j - 1]!), `${what} (order / duplicates)`).toBe(true)
      expect(c.got.filter((n) => !ok.has(n) && !ackErrors.has(n)), what).toEqual([])
      expect(c.got, `${what} (differs from client 0)`).toEqual(delivered) // every client, the same messages
    })
    expect(delivered.filter((n) => ok.has(n))).toEqual(acked)
    if (ackErrors.size === 0) expect(delivered).toEqual(range(N)) // the usual case: all 1,000, exactly once
    // Same sessions throughout: the session lives in Redis, not in the dead instance.
    for (const c of clients) expect(c.socket.id).toBe(c.id)
    // The victim really served some of these clients' streams before it died.
    expect(streamPorts(dep, clients.map((c) => c.id)).has(dep.ports[victim]!)).toBe(true)
  }, 240_000)

  it('restart of redis-server mid-traffic: 503 STORE_UNAVAILABLE during the outage, then every accepted message exactly once, in order', async () => {
    const redis = await redisServer({ appendonly: true })
    const dep = await deployment(3, { REDIS_URL: redis.url })
    const pids = dep.apps.map((a) => a.pid)

    // The sender's fetch is watched: what did its message POSTs get during the outage?
    const statuses: { status: number; code?: string }[] = []
    const watchedFetch = async (input: string, init?: RequestInit): Promise<Response> => {
      const res = await fetch(input, init)
      if (input.endsWith('/message') && res.status !== 200) {
        const body = (await res.clone().json().catch(() => undefined)) as { error?: { code?: string } } | undefined
        statuses.push({ status: res.status, code: body?.error?.code })
      }
      return res
    }
    const [sender, ...receivers] = [
      await open(dep.url, only, { fetch: watchedFetch }),
      ...(await openMany(4, dep.url, only)),
    ]
    const all = [sender!, ...receivers]
    for (const c of all) expect(await c.socket.emitWithAck('join', { room: 'rr' })).toBe('joined')
    const counts = all.map((c) => countMessages(c.socket, 'rr'))

    // A raw session, to see the server's answer during the outage without any client retrying.
    const raw = (await (await fetch(`${dep.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as {
      sid: string
      token: string
    }

    const N = 500
    const RESTART_AT = 150
    const accepted: number[] = []
    const refused: string[] = []
    let outage: Promise<void> | undefined
    const rawDuringOutage: { status: number; body: unknown; retryAfter: string | null }[] = []
    for (let n = 0; n < N; n++) {
      if (n === RESTART_AT) {
        outage = (async () => {
          await redis.stop() // clean shutdown: the append-only file has everything Redis acknowledged
          for (let i = 0; i < 3; i++) {
            const res = await fetch(`${dep.url}/message`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-socket-sid': raw.sid, 'x-socket-token': raw.token },
              body: JSON.stringify({ messages: [{ id: 1 + i, event: 'echo', data: i, ack: true }] }),
            })
            rawDuringOutage.push({ status: res.status, body: await res.json().catch(() => null), retryAfter: res.headers.get('retry-after') })
          }
          await sleep(1500)
          await redis.start() // same port, same data dir
        })()
      }
      try {
        // One at a time: the order of acceptance is the order of n.
        const reply = (await sender!.socket.emitWithAck('say', { room: 'rr', n }, { timeout: 90_000 })) as { n: number }
        expect(reply.n).toBe(n)
        accepted.push(n)
      } catch (err) {
        refused.push(`${n}: ${String(err)}`)
      }
      await sleep(2)
    }
    await outage

    // The outage was seen, and was a clear, retryable refusal.
    expect(rawDuringOutage.length).toBe(3)
    for (const r of rawDuringOutage) {
      expect(r.status).toBe(503)
      expect(r.body).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } })
      expect(r.retryAfter).not.toBeNull()
    }
    // (The SDK client usually waits the outage out reconnecting its stream, so its own POSTs may
    // never meet the 503: the raw POSTs above show it.)
    // The client retried the POSTs refused with 503 until they were accepted.
    expect(refused, `refused acks: ${JSON.stringify(refused)}`).toEqual([])
    expect(accepted).toEqual(range(N))

    await until(() => counts.every((c) => c.got.length >= accepted.length), 'every client to receive every accepted message', 120_000)
    await sleep(1000)
    console.log(
      `[redis restart over ${only}] sender POSTs refused: ${JSON.stringify(statuses.map((s) => `${s.status} ${s.code}`))}; ` +
        `raw during outage: ${rawDuringOutage.map((r) => r.status).join(',')}; refused acks: ${JSON.stringify(refused)}`,
    )
    counts.forEach((c, i) => expect(c.got, `client ${i}: ${summary(c.got, accepted)}`).toEqual(accepted))

    // The instances recovered by themselves: same processes, and they serve new clients.
    expect(dep.apps.map((a) => a.pid)).toEqual(pids)
    expect(dep.apps.every((a) => a.running)).toBe(true)
    const late = await open(dep.url, only)
    expect(await late.socket.emitWithAck('echo', 'after')).toBe('after')
  }, 240_000)
})

describe('multi-instance: an instance dies while a message handler runs', () => {
  // The handler's room emit landed, then its instance died before the acks were stored. The
  // client's retry must not run the handler again (its effects would repeat): once the claim is
  // stale, the retry is answered with the ack error INTERRUPTED. The room gets the message once.
  it('the retried batch does not run the handler a second time and is answered INTERRUPTED', async () => {
    const redis = await redisServer()
    const dep = await deployment(3, { REDIS_URL: redis.url })
    const [sender, receiver] = await openMany(2, dep.url, ['sse'])
    for (const c of [sender!, receiver!]) expect(await c.socket.emitWithAck('join', { room: 'crash' })).toBe('joined')
    const counts = [sender!, receiver!].map((c) => countMessages(c.socket, 'crash'))

    const reply = sender!.socket
      .emitWithAck('slowsay', { room: 'crash', n: 1, delay: 2000 }, { timeout: 90_000 })
      .catch((err: { code?: string }) => `rejected: ${err.code}`)
    // The handler's emit has landed, and its POST is still waiting for the handler's ack.
    await until(() => counts[1]!.got.length === 1, 'the room emit of the running handler', 10_000)
    const post = dep.balancer.log.find((e) => e.sid === sender!.id && e.path.endsWith('/message') && e.status === 0)
    expect(post).toBeDefined()
    await dep.kill9(dep.ports.indexOf(post!.port))

    expect(String(await reply)).toContain('INTERRUPTED')
    const second = sender!.socket.emitWithAck('say', { room: 'crash', n: 2 }, { timeout: 30_000 })
    expect(await second).toEqual({ room: 'crash', n: 2 })
    await until(() => counts.every((c) => c.got.includes(2)), 'the next message', 30_000)
    await sleep(500)
    counts.forEach((c, i) => expect(c.got, `client ${i}: ${summary(c.got, [1, 2])}`).toEqual([1, 2]))
  }, 120_000)
})

describe('multi-instance: Redis goes away while a message handler runs', () => {
  // A handler whose store call fails because Redis is down fails its POST with 503; the instance
  // gives the claim back once Redis answers, so the client's retry runs the handler and the
  // message is delivered once.
  it('the message is retried and delivered once Redis is back', async () => {
    const redis = await redisServer({ appendonly: true })
    const dep = await deployment(1, { REDIS_URL: redis.url })
    const [sender, receiver] = await openMany(2, dep.url, ['sse'])
    for (const c of [sender!, receiver!]) expect(await c.socket.emitWithAck('join', { room: 'gone' })).toBe('joined')
    const counts = [sender!, receiver!].map((c) => countMessages(c.socket, 'gone'))

    // The handler waits 1 s before its room emit; Redis is down by then, and back 1.5 s later.
    const reply = sender!.socket
      .emitWithAck('slowsay', { room: 'gone', n: 1, before: 1000, delay: 0 }, { timeout: 60_000 })
      .catch((err: Error) => `rejected: ${err}`)
    await until(() => dep.balancer.log.some((e) => e.sid === sender!.id && e.path.endsWith('/message') && e.status === 0), 'the POST to be running', 5000)
    await redis.stop()
    await sleep(2500)
    await redis.start()

    expect(await reply).toEqual({ room: 'gone', n: 1, before: 1000, delay: 0 })
    await until(() => counts.every((c) => c.got.length >= 1), 'the message to reach the room', 30_000)
    await sleep(500)
    counts.forEach((c) => expect(c.got).toEqual([1]))
  }, 90_000)
})

describe('multi-instance sweep', () => {
  it('a vanished session is swept once, by one of three sweeping instances; live sessions are not', async () => {
    const redis = await redisServer()
    const log = join(outputDir('multi-instance'), `disconnects-${process.pid}-${Date.now()}.log`)
    writeFileSync(log, '')
    // sweepInterval default (10 s): each instance sweeps on its timer and lazily on requests.
    const dep = await deployment(3, { REDIS_URL: redis.url, DISCONNECT_TIMEOUT: '1500', PING_INTERVAL: '500', DISCONNECT_LOG: log })
    const lines = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))

    // Vanished: raw connects that never open a stream...
    const vanished: string[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${dep.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      vanished.push(((await res.json()) as { sid: string }).sid)
    }
    // ...and SDK clients in their own process, killed with -9 while their stream is open.
    const procs: ChildHandle[] = []
    for (const t of ['sse', 'polling'] as const) {
      const p = await startProcess(process.execPath, [join(ROOT, 'test/apps/cluster/client.mjs')], {
        name: `client:${t}`,
        env: { URL: dep.url, TRANSPORT: t },
        readyPattern: /connected (\S+)/,
      })
      cleanups.push(() => p.kill9())
      procs.push(p)
      vanished.push(p.url) // the ready line's group: the sid
    }
    // Live clients on both transports, and one that leaves politely.
    const live = [await open(dep.url, ['sse']), await open(dep.url, ['polling'])]
    const polite = await open(dep.url, ['sse'])

    await sleep(300)
    for (const p of procs) await p.kill9()
    polite.socket.disconnect()

    await until(
      () => {
        const ids = new Set(lines().map((l) => l[0]))
        return vanished.every((sid) => ids.has(sid)) && ids.has(polite.id)
      },
      'onDisconnect for every vanished session',
      40_000,
    )
    // Long enough for every instance's sweep timer to fire again after the sessions went idle.
    await sleep(12_000)

    const got = lines()
    const times = (sid: string) => got.filter((l) => l[0] === sid).length
    for (const sid of vanished) expect(times(sid), `onDisconnect calls for ${sid}`).toBe(1)
    expect(times(polite.id)).toBe(1)
    for (const l of live) expect(times(l.id)).toBe(0)
    expect(got).toHaveLength(vanished.length + 1)
    expect(got.find((l) => l[0] === polite.id)!.slice(2).join(' ')).toBe('client namespace disconnect')
    for (const sid of vanished) expect(got.find((l) => l[0] === sid)!.slice(2).join(' ')).toBe('ping timeout')
    // The live clients were left alone and still work.
    for (const l of live) {
      expect(l.socket.connected).toBe(true)
      expect(l.socket.id).toBe(l.id)
      expect(await l.socket.emitWithAck('echo', 1)).toBe(1)
    }
  }, 120_000)

  it('three instances sweeping every 100 ms race for the same idle sessions: each onDisconnect runs once', async () => {
    const redis = await redisServer()
    const log = join(outputDir('multi-instance'), `disconnects-race-${process.pid}-${Date.now()}.log`)
    writeFileSync(log, '')
    const dep = await deployment(3, {
      REDIS_URL: redis.url,
      DISCONNECT_TIMEOUT: '1500',
      PING_INTERVAL: '300',
      SWEEP_INTERVAL: '100',
      DISCONNECT_LOG: log,
    })
    const live = [await open(dep.url, ['sse']), await open(dep.url, ['polling'])]
    const vanished: string[] = []
    for (let i = 0; i < 40; i += 10) {
      const batch = await Promise.all(
        range(10).map(async () => {
          const res = await fetch(`${dep.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
          return ((await res.json()) as { sid: string }).sid
        }),
      )
      vanished.push(...batch)
    }
    const lines = () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '))
    await until(() => new Set(lines().map((l) => l[0])).size >= vanished.length, 'every vanished session to be swept', 30_000)
    await sleep(2000) // many more sweeps of all three instances
    const got = lines()
    for (const sid of vanished) expect(got.filter((l) => l[0] === sid).length, `onDisconnect calls for ${sid}`).toBe(1)
    // Exactly once for every session that ended. (On a loaded machine a live client's heartbeat can
    // come late enough for its session to be taken for gone once, and revived by that heartbeat;
    // a connect the balancer had to retry leaves one more vanished session. Each ends once too.)
    const perSession = new Map<string, number>()
    for (const l of got) perSession.set(l[0]!, (perSession.get(l[0]!) ?? 0) + 1)
    expect([...perSession].filter(([, n]) => n !== 1)).toEqual([])
    console.log(`[sweep race] swept by port: ${JSON.stringify(Object.fromEntries(dep.ports.map((p) => [p, got.filter((l) => l[1] === String(p)).length])))}`)
    for (const l of live) expect(await l.socket.emitWithAck('echo', 2)).toBe(2)
  }, 60_000)
})
