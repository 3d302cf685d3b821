import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type LogEntry, type SessionRecord, type Store, type StoreLimits } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { upstashStore } from 'socket-serve/upstash'
import * as redisHarness from '../support/redis.js'
import { startUpstashServer } from '../support/upstash-server.js'
import { until } from '../support/server.js'
import { Cluster, Redis } from 'ioredis'

/**
 * One conformance suite, run against every store: what the server relies on,
 * stated once. Stores differ in where state lives, never in what it means.
 */
interface StoreCase {
  name: string
  /**
   * make: another instance of this app's store; apart: a store of another app on the same backend;
   * `lose(key)` loses a log as its backend can (an expired or evicted key, a restart without persistence)
   */
  setup(): Promise<{ make(): Store; apart(): Store; teardown(): Promise<void>; lose(key: string): Promise<void> }>
}

/** On Redis, a log is lost when its numbering hash is (the stream key may outlive it). */
function loseOnRedis(client: Redis | Cluster, prefix: string) {
  return async (key: string) => {
    await client.del(`${prefix}:{${key}}:n`)
  }
}

let prefixes = 0
const prefix = () => `t${process.pid}x${++prefixes}`

const cases: StoreCase[] = [
  {
    name: 'memory',
    async setup() {
      // One process, one memory store: every "instance" is the same store.
      const shared = memoryStore()
      // The memory store frees a room's log when its last member leaves; here, any log at once.
      const lose = async (key: string) => void (shared as unknown as { logs: Map<string, unknown> }).logs.delete(key)
      return { make: () => shared, apart: () => memoryStore(), teardown: async () => {}, lose }
    },
  },
  {
    name: 'redis',
    async setup() {
      const redis = await redisHarness.startRedis()
      const shared = prefix()
      const raw = new Redis(redis.url)
      return {
        make: () => redisStore(redis.url, { keyPrefix: shared }),
        apart: () => redisStore(redis.url, { keyPrefix: prefix() }),
        teardown: async () => {
          raw.disconnect()
          await redis.stop()
        },
        lose: loseOnRedis(raw, shared),
      }
    },
  },
  {
    name: 'redis cluster',
    async setup() {
      const cluster = await redisHarness.startRedisCluster()
      const shared = prefix()
      const raw = new Cluster(cluster.nodes)
      return {
        make: () => redisStore(cluster.nodes, { keyPrefix: shared }),
        apart: () => redisStore(cluster.nodes, { keyPrefix: prefix() }),
        teardown: async () => {
          raw.disconnect()
          await cluster.stop()
        },
        lose: loseOnRedis(raw, shared),
      }
    },
  },
  {
    name: 'upstash',
    async setup() {
      // The REST protocol, served by a test server in front of a real redis-server.
      const redis = await redisHarness.startRedis()
      const rest = await startUpstashServer({ redisPort: redis.port })
      const shared = prefix()
      const raw = new Redis(redis.url)
      return {
        make: () => upstashStore({ url: rest.url, token: rest.token, keyPrefix: shared }),
        apart: () => upstashStore({ url: rest.url, token: rest.token, keyPrefix: prefix() }),
        teardown: async () => {
          raw.disconnect()
          await rest.close()
          await redis.stop()
        },
        lose: loseOnRedis(raw, shared),
      }
    },
  },
  {
    // As on Cloudflare Workers, where a request's subscribe stream cannot serve another request.
    name: 'upstash, a subscription per listener',
    async setup() {
      const redis = await redisHarness.startRedis()
      const rest = await startUpstashServer({ redisPort: redis.port })
      const shared = prefix()
      const raw = new Redis(redis.url)
      return {
        make: () => upstashStore({ url: rest.url, token: rest.token, keyPrefix: shared, subscriptionPerListener: true }),
        apart: () => upstashStore({ url: rest.url, token: rest.token, keyPrefix: prefix(), subscriptionPerListener: true }),
        teardown: async () => {
          raw.disconnect()
          await rest.close()
          await redis.stop()
        },
        lose: loseOnRedis(raw, shared),
      }
    },
  },
]

const limits: StoreLimits = { ttl: 60, maxLogLength: 100 }
/** Leases here are short, so a lapsed one can be waited for. */
const LEASE = 300
const claimLimits = { ...limits, leaseMs: 10_000, owner: 'req-a' }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Claims and returns `id:status` per message (the ack appended for done ones), or 'refused'. */
async function claim(
  store: Store,
  sid: string,
  ids: number[],
  limits: Parameters<Store['claimMessages']>[3] = claimLimits,
  token = `tok-${sid}`,
  answered?: number,
): Promise<string[] | 'refused'> {
  const res = await store.claimMessages(sid, token, ids, limits, answered)
  if (!res.authorized) return 'refused'
  return res.claims.map((c) => `${c.id}:${c.status}${c.ack !== undefined ? `=${c.ack}` : ''}`)
}

function record(sid: string, extra: Partial<SessionRecord> = {}): SessionRecord {
  return { sid, token: `tok-${sid}`, user: { name: 'ada' }, state: {}, rooms: { '*': 0 }, transport: 'sse', createdAt: 1000, lastSeen: 1000, ...extra }
}

describe.each(cases)('store conformance: $name', ({ setup }) => {
  let env: Awaited<ReturnType<StoreCase['setup']>>
  let store: Store
  const opened: Store[] = []

  beforeAll(async () => {
    env = await setup()
    store = env.make()
    opened.push(store)
  }, 60_000)
  afterAll(async () => {
    for (const s of new Set(opened)) await s.close()
    await env?.teardown()
  })

  it('keeps sessions: create, get, state, rooms, unknown ids', async () => {
    await store.createSession(record('s1', { state: { a: 1 }, rooms: { '*': 3, blue: 0 } }), limits)
    expect(await store.getSession('s1')).toEqual(record('s1', { state: { a: 1 }, rooms: { '*': 3, blue: 0 } }))
    expect(await store.getSession('nobody')).toBeNull()
    expect(await store.setState('s1', { b: { deep: [1, 2] } }, limits)).toBe(true)
    expect(await store.setState('nobody', { b: 1 }, limits)).toBe(false)
    expect(await store.getSession('nobody')).toBeNull()
    expect((await store.getSession('s1'))!.state).toEqual({ a: 1, b: { deep: [1, 2] } })
  })

  it('touches sessions and finds idle ones', async () => {
    await store.createSession(record('idle-a', { lastSeen: 100 }), limits)
    await store.createSession(record('idle-b', { lastSeen: 100 }), limits)
    await store.touch(['idle-b'], 5000, limits, 'polling')
    const b = await store.getSession('idle-b')
    expect([b!.lastSeen, b!.transport]).toEqual([5000, 'polling'])
    const idle = await store.idleSessions(4000, 100)
    expect(idle).toContain('idle-a')
    expect(idle).not.toContain('idle-b')
    expect(await store.sessionIds(1000)).toEqual(expect.arrayContaining(['idle-a', 'idle-b']))
  })

  it('counts live sessions exactly and pages their ids by offset (the inspector)', async () => {
    const count = await store.liveCount()
    const all = await store.sessionIds(100_000)
    expect(count).toBe(all.length)
    const paged: string[] = []
    for (let offset = 0; offset < count; offset += 2) paged.push(...(await store.sessionIds(2, offset)))
    expect(paged.sort()).toEqual([...all].sort())
  })

  it('keeps a short recent list, newest first, bounded (a session\'s last errors)', async () => {
    expect(await store.readRecent('errors:x')).toEqual([])
    await store.pushRecent('errors:x', ['1', '2'], 3, 60)
    await store.pushRecent('errors:x', ['3', '4'], 3, 60)
    expect(await store.readRecent('errors:x')).toEqual(['4', '3', '2'])
  })

  it('keeps the feed history: ordered ids, bounded by count, read newest first before an id and oldest first after one', async () => {
    expect(await store.readFeedBefore(undefined, 10)).toEqual([])
    for (let i = 0; i < 250; i++) await store.appendFeed(String(i), { maxEntries: 100, keepMs: 60_000 })
    const all = await store.readFeedBefore(undefined, 1000)
    // Redis trims whole blocks (MAXLEN ~): at least the bound is kept, never much more.
    expect(all.length).toBeGreaterThanOrEqual(100)
    expect(all.length).toBeLessThanOrEqual(200)
    expect(all.map((e) => Number(e.data))).toEqual(Array.from({ length: all.length }, (_, i) => 249 - i))
    const through = all[10]!.id
    expect((await store.readFeedBefore(through, 3)).map((e) => e.data)).toEqual(['239', '238', '237'])
    expect((await store.readFeedAfter(through, 3)).map((e) => e.data)).toEqual(['240', '241', '242'])
    expect((await store.readFeedAfter(all[0]!.id, 3))).toEqual([])
  })

  it("reports its own health, and keeps a session's client (the inspector)", async () => {
    const health = await store.health!()
    expect(health.latencyMs).toBeGreaterThanOrEqual(0)
    expect([health.errorCount, health.errors]).toEqual([0, []])
    if (health.kind !== 'memory') expect(health.memory?.used).toBeGreaterThan(0) // INFO memory (the Upstash emulator answers it)
    await store.createSession(record('client-1', { client: { address: '203.0.113.1', userAgent: 'UA/1 (x)' } }), limits)
    expect((await store.getSession('client-1'))!.client).toEqual({ address: '203.0.113.1', userAgent: 'UA/1 (x)' })
  })

  it('ends a session exactly once, however many callers race', async () => {
    await store.createSession(record('end-1'), limits)
    const results = await Promise.all(Array.from({ length: 8 }, () => store.beginEnd('end-1', 30_000)))
    expect(results.filter(Boolean).length).toBe(1)
    expect(await store.idleSessions(Number.MAX_SAFE_INTEGER, 10_000)).not.toContain('end-1')
    expect(await store.sessionIds(10_000)).not.toContain('end-1')
    await store.append('d:end-1', '{"e":"x"}', undefined, limits)
    await store.finishEnd('end-1', 'io client disconnect', 0)
    expect(await store.getSession('end-1')).toBeNull()
    expect((await store.read('d:end-1', 0, 10)).entries).toEqual([])
    expect(await store.beginEnd('end-1', 30_000)).toBe(false)
  })

  it('ends only an idle session when asked for idleness: a touch in between keeps it live', async () => {
    await store.createSession(record('end-idle', { lastSeen: 1000 }), limits)
    await store.touch(['end-idle'], 9000, limits)
    expect(await store.beginEnd('end-idle', 30_000, 5000)).toBe(false)
    expect(await store.beginEnd('end-idle', 30_000, 10_000)).toBe(true)
  })

  it('takes up an ending whose instance died once its lease lapses; onDisconnect is marked once done', async () => {
    await store.createSession(record('end-2'), limits)
    expect(await store.beginEnd('end-2', LEASE)).toBe(true)
    expect(await store.idleSessions(0, 100)).not.toContain('end-2')
    await sleep(LEASE + 100)
    expect(await store.idleSessions(0, 100)).toContain('end-2')
    expect(await store.beginEnd('end-2', 30_000)).toBe(true)
    expect(await store.beginEnd('end-2', 30_000)).toBe(false)
    expect((await store.getSession('end-2'))!.disconnected).toBeUndefined()
    await store.markDisconnected('end-2')
    expect((await store.getSession('end-2'))!.disconnected).toBe(true)
  })

  it('keeps an idly ended session for recovery: touches report it, one caller revives it', async () => {
    await store.createSession(record('rec-1', { rooms: { '*': 0, blue: 3 } }), limits)
    await store.append('d:rec-1', '{"e":"kept"}', undefined, limits)
    await store.claimMessages('rec-1', 'tok-rec-1', [1], claimLimits)
    await store.finishMessages('rec-1', [{ id: 1, ack: '{"id":1,"data":"a"}' }], [], claimLimits.owner)
    expect(await store.beginEnd('rec-1', 30_000)).toBe(true)
    await store.finishEnd('rec-1', 'ping timeout', 5000)
    const ended = await store.getSession('rec-1')
    expect(ended!.ended).toBe('ping timeout')
    expect(ended!.rooms).toEqual({ '*': 0, blue: 3 })
    expect((await store.read('d:rec-1', 0, 10)).entries.map((e) => e.data)).toEqual(['{"e":"kept"}'])
    expect(await store.sessionIds(10_000)).not.toContain('rec-1')
    expect(await store.touch(['rec-1'], 5000, limits)).toEqual(['rec-1'])
    expect(await store.joinRoom('rec-1', 'late', limits)).toBeNull()
    // The message's reply outlives the ending: a retry after recovery is answered, not run again.
    expect(await claim(store, 'rec-1', [1])).toEqual(['1:done={"id":1,"data":"a"}'])
    const wins = await Promise.all(Array.from({ length: 4 }, () => store.revive('rec-1', 6000, limits)))
    expect(wins.filter(Boolean).length).toBe(1)
    expect((await store.getSession('rec-1'))!.ended).toBeUndefined()
    expect(await store.sessionIds(10_000)).toContain('rec-1')
    expect(await store.touch(['rec-1'], 7000, limits)).toEqual([])
  })

  it('a claim with a wrong token changes nothing, liveness included', async () => {
    await store.createSession(record('wt1', { lastSeen: 100 }), limits)
    expect(await claim(store, 'wt1', [1], claimLimits, 'stolen')).toBe('refused')
    expect(await store.idleSessions(4000, 10_000)).toContain('wt1')
    expect((await store.getSession('wt1'))!.lastSeen).toBe(100)
    expect(await claim(store, 'wt1', [1])).toEqual(['1:fresh'])
  })

  it('claims each message once, replays its stored reply, waits on a live lease, and reports a lapsed one as interrupted', async () => {
    await store.createSession(record('c1'), limits)
    const a = { ...claimLimits, owner: 'a' }
    const b = { ...claimLimits, owner: 'b' }
    expect(await claim(store, 'c1', [1, 2, 3], a)).toEqual(['1:fresh', '2:fresh', '3:fresh'])
    // A retry while the first attempt runs: running, nothing claimed twice.
    expect(await claim(store, 'c1', [1, 2, 3], b)).toEqual(['1:running', '2:running', '3:running'])
    // Per message: 1 answered, 2 sent without ack, 3 failed on the store and is given back.
    await store.finishMessages('c1', [{ id: 2, ack: '' }], [], 'b') // not b's claim: no effect
    await store.finishMessages('c1', [{ id: 1, ack: '{"id":1,"data":"a"}' }, { id: 2, ack: '' }], [3], 'a')
    expect(await claim(store, 'c1', [1, 2, 3], b)).toEqual(['1:done={"id":1,"data":"a"}', '2:done=', '3:rerun'])
    await store.finishMessages('c1', [{ id: 3, ack: '{"id":3}' }], [], 'b')
    expect(await claim(store, 'c1', [1, 2, 3], a)).toEqual(['1:done={"id":1,"data":"a"}', '2:done=', '3:done={"id":3}'])
    // The next batch: everything before it was answered, so a stray duplicate of it is old.
    expect(await claim(store, 'c1', [4], a)).toEqual(['4:fresh'])
    expect(await claim(store, 'c1', [2, 3], a)).toEqual(['2:old', '3:old'])
    // A lease renewed keeps its message running; one that lapses is interrupted, once and for good.
    const short = { ...claimLimits, leaseMs: LEASE, owner: 'c' }
    expect(await claim(store, 'c1', [5, 6], short)).toEqual(['5:fresh', '6:fresh'])
    await sleep(LEASE / 2)
    await store.renewLeases('c1', [5], LEASE * 3, 'c')
    await sleep(LEASE / 2 + 100)
    expect(await claim(store, 'c1', [5, 6], b)).toEqual(['5:running', '6:interrupted'])
    expect(await claim(store, 'c1', [5, 6], b)).toEqual(['5:running', '6:interrupted'])
    // A real reply still beats INTERRUPTED.
    await store.finishMessages('c1', [{ id: 5, ack: '{"id":5}' }, { id: 6, ack: '{"id":6}' }], [], 'c')
    expect(await claim(store, 'c1', [5, 6], b)).toEqual(['5:done={"id":5}', '6:done={"id":6}'])
    // Without the session's token nothing is claimed: the next real message still runs.
    expect(await claim(store, 'nobody', [1])).toBe('refused')
    expect(await claim(store, 'c1', [99], claimLimits, 'stolen')).toBe('refused')
    expect(await claim(store, 'c1', [7], a)).toEqual(['7:fresh'])
  })

  it('with several POSTs in flight, claims a message only after its predecessor started, and forgets what the client says it had answered', async () => {
    await store.createSession(record('pl1'), limits)
    const a = { ...claimLimits, owner: 'a' }
    const b = { ...claimLimits, owner: 'b' }
    // The second POST arrives first: its messages wait for the first's.
    expect(await claim(store, 'pl1', [3, 4], b, undefined, 0)).toEqual(['3:early', '4:early'])
    expect(await claim(store, 'pl1', [1, 2], a, undefined, 0)).toEqual(['1:fresh', '2:fresh'])
    // Claimed is not enough: 2 must have started (its synchronous writes stored) elsewhere.
    expect(await claim(store, 'pl1', [3, 4], b, undefined, 0)).toEqual(['3:early', '4:early'])
    await store.startMessages('pl1', [1, 2], 'b') // not b's: changes nothing
    expect(await claim(store, 'pl1', [3, 4], b, undefined, 0)).toEqual(['3:early', '4:early'])
    await store.startMessages('pl1', [1, 2], 'a')
    expect(await claim(store, 'pl1', [3, 4], b, undefined, 0)).toEqual(['3:fresh', '4:fresh'])
    await store.startMessages('pl1', [3, 4], 'b')
    // A later POST does not drop the records of earlier ones still unanswered...
    expect(await claim(store, 'pl1', [5], b, undefined, 0)).toEqual(['5:fresh'])
    await store.finishMessages('pl1', [{ id: 1, ack: '{"id":1}' }, { id: 2, ack: '' }], [], 'a')
    expect(await claim(store, 'pl1', [1, 2], b, undefined, 0)).toEqual(['1:done={"id":1}', '2:done='])
    // ...until the client says it had them answered.
    await store.startMessages('pl1', [5], 'b')
    expect(await claim(store, 'pl1', [6], b, undefined, 2)).toEqual(['6:fresh'])
    expect(await claim(store, 'pl1', [1, 2, 3], b, undefined, 2)).toEqual(['1:old', '2:old', '3:running'])
  })

  it('rate-limits messages, not batches: admits what fits, defers the rest, and a refusal changes nothing', async () => {
    await store.createSession(record('rl1'), limits)
    const rated = { ...claimLimits, rate: { limit: 5, windowMs: 60_000 } }
    const first = await store.claimMessages('rl1', 'tok-rl1', [1, 2, 3, 4, 5, 6, 7, 8], rated)
    expect(first.authorized && first.claims.map((c) => c.status)).toEqual(['fresh', 'fresh', 'fresh', 'fresh', 'fresh', 'deferred', 'deferred', 'deferred'])
    expect(first.authorized && first.retryAfterMs).toBeGreaterThan(0)
    await store.finishMessages('rl1', [1, 2, 3, 4, 5].map((id) => ({ id, ack: '' })), [], rated.owner)
    // The window is full: the deferred ones are deferred again, and the finished ones still replay.
    expect(await claim(store, 'rl1', [4, 5, 6], rated)).toEqual(['4:done=', '5:done=', '6:deferred'])
    expect(await claim(store, 'rl1', [6, 7, 8], rated)).toEqual(['6:deferred', '7:deferred', '8:deferred'])
    // A new window admits them, still in order.
    const next = { ...rated, rate: { limit: 5, windowMs: 1 } }
    expect(await claim(store, 'rl1', [6, 7, 8], next)).toEqual(['6:fresh', '7:fresh', '8:fresh'])
  })

  it('numbers log entries, reads after a cursor, keeps exclusions, bounds the log', async () => {
    expect(await store.head('r:log-1')).toBe(0)
    expect(await store.read('r:log-1', 0, 10)).toEqual({ entries: [], first: 1, head: 0, epoch: '' })
    const epochs = new Set<string>()
    for (let i = 1; i <= 5; i++) {
      const { seq, epoch } = await store.append('r:log-1', `{"n":${i}}`, i === 3 ? 'sid-x' : undefined, limits)
      expect(seq).toBe(i)
      epochs.add(epoch)
    }
    expect(await store.head('r:log-1')).toBe(5)
    const r = await store.read('r:log-1', 2, 2)
    // Each append says which epoch its entry is in: the log's, as reads give it.
    expect([...epochs]).toEqual([r.epoch])
    expect(r).toEqual({ entries: [{ seq: 3, data: '{"n":3}', exclude: 'sid-x' }, { seq: 4, data: '{"n":4}' }], first: 1, head: 5, epoch: expect.stringMatching(/^[A-Za-z]{4}$/) })
    // Beyond maxLogLength old entries go; the head keeps counting and `first` says what is left.
    for (let i = 6; i <= 400; i++) await store.append('r:log-1', `{"n":${i}}`, undefined, limits)
    const all = await store.read('r:log-1', 0, 1000)
    expect(all.head).toBe(400)
    expect(all.first).toBeGreaterThan(1)
    expect(all.first).toBeLessThanOrEqual(400 - limits.maxLogLength + 1)
    expect(all.entries[0]!.seq).toBe(all.first)
    expect(all.entries.at(-1)!.seq).toBe(400)
    expect(all.entries.map((e) => e.seq)).toEqual(Array.from({ length: all.entries.length }, (_, i) => all.first + i))
  })

  it('reads several logs in one call as read() reads each', async () => {
    for (let i = 1; i <= 3; i++) await store.append('r:many-a', `{"a":${i}}`, undefined, limits)
    await store.append('d:many-s', '{"d":1}', 'someone', limits)
    const reads = [
      { key: 'd:many-s', after: 0, limit: 10 },
      { key: 'r:many-a', after: 1, limit: 1 },
      { key: 'r:many-none', after: 0, limit: 10 },
    ]
    const many = await store.readMany(reads)
    expect(many).toEqual(await Promise.all(reads.map((r) => store.read(r.key, r.after, r.limit))))
    expect(many[1]).toEqual({ entries: [{ seq: 2, data: '{"a":2}' }], first: 1, head: 3, epoch: expect.stringMatching(/^[A-Za-z]{4}$/) })
    expect(many[2]).toEqual({ entries: [], first: 1, head: 0, epoch: '' })
    expect(await store.readMany([])).toEqual([])
  })

  it('keeps sessions alive in the live index in one call, and names those not in it', async () => {
    await store.createSession(record('keep-a', { lastSeen: 100 }), limits)
    await store.createSession(record('keep-b', { lastSeen: 100 }), limits)
    expect(await store.beginEnd('keep-b', 10_000)).toBe(true) // ending: out of the live index
    const kept = await store.keepAlive(['keep-a', 'keep-b', 'keep-nobody'], 7000, 5000)
    expect(kept.missing).toEqual(['keep-b', 'keep-nobody'])
    expect(await store.seenAt(['keep-a', 'keep-b'])).toEqual([7000, null])
    expect(await store.idleSessions(5000, 1000)).not.toContain('keep-a')
    // A sweep is due when one would find work: an idle session (keep-c), not keep-a.
    expect((await store.keepAlive(['keep-a'], 7000, 10)).sweepDue).toBe(false)
    await store.createSession(record('keep-c', { lastSeen: 5 }), limits)
    expect((await store.keepAlive(['keep-a'], 7000, 10)).sweepDue).toBe(true)
    expect(await store.beginEnd('keep-c', 60_000)).toBe(true)
    await store.finishEnd('keep-c', 'test', 0)
    // The record itself is left alone (its lastSeen and TTL are touch()'s).
    expect((await store.getSession('keep-a'))!.lastSeen).toBe(100)
  })

  it('tags appends with their origin; a re-run append of the same origin is not appended twice', async () => {
    const { seq: first, epoch } = await store.append('r:origin', '{"e":"a"}', undefined, limits, { id: 's:1:0', check: false })
    await store.append('r:origin', '{"e":"other"}', undefined, limits)
    expect(await store.append('r:origin', '{"e":"a"}', undefined, limits, { id: 's:1:0', check: true })).toEqual({ seq: first, epoch })
    const fresh = (await store.append('r:origin', '{"e":"b"}', undefined, limits, { id: 's:1:1', check: true })).seq
    expect(fresh).toBe(first + 2)
    const { entries } = await store.read('r:origin', 0, 10)
    expect(entries.map((e) => [e.seq, e.origin])).toEqual([
      [first, 's:1:0'],
      [first + 1, undefined],
      [fresh, 's:1:1'],
    ])
  })

  it('joins and leaves rooms at the head of the room log, recording its epoch', async () => {
    await store.createSession(record('m1'), limits)
    await store.createSession(record('m2'), limits)
    await store.append('r:green', '{"e":"before"}', undefined, limits)
    const { epoch } = await store.read('r:green', 0, 1)
    expect(await store.joinRoom('m1', 'green', limits)).toEqual({ seq: 1, epoch })
    await store.append('r:green', '{"e":"after"}', undefined, limits)
    expect(await store.joinRoom('m2', 'green', limits)).toEqual({ seq: 2, epoch })
    expect(await store.position('r:green')).toEqual({ seq: 2, epoch })
    expect((await store.members('green', 100)).sort()).toEqual(['m1', 'm2'])
    expect((await store.getSession('m1'))!.rooms).toEqual({ '*': 0, green: 1 })
    expect((await store.getSession('m1'))!.roomEpochs).toEqual({ green: epoch })
    expect(await store.leaveRoom('m1', 'green', limits)).toBe(2)
    expect(await store.members('green', 100)).toEqual(['m2'])
    expect((await store.getSession('m1'))!.rooms).toEqual({ '*': 0 })
    expect((await store.getSession('m1'))!.roomEpochs?.green).toBeUndefined()
    // A log that does not exist yet: position 0, no epoch (any incarnation is read from its start).
    expect(await store.joinRoom('m1', 'green-new', limits)).toEqual({ seq: 0, epoch: '' })
    expect(await store.position('r:green-new')).toEqual({ seq: 0, epoch: '' })
    expect((await store.getSession('m1'))!.roomEpochs?.['green-new']).toBeUndefined()
    // A member whose session is gone without an ending (expired) is dropped from the list.
    await store.deleteSession('m2')
    expect(await store.members('green', 100)).toEqual([])
    expect(await store.joinRoom('m2', 'green', limits)).toBeNull()
    expect(await store.members('green', 100)).toEqual([])
  })

  it('bounds the rooms of a session atomically: 50 concurrent joins under a bound of 10 land exactly 10; leaving frees a place', async () => {
    await store.createSession(record('rb1'), limits)
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.joinRoom('rb1', `rb-${i}`, limits, 10)))
    expect(results.filter((r) => typeof r === 'object' && r !== null)).toHaveLength(10)
    expect(results.filter((r) => r === 'full')).toHaveLength(40)
    const rooms = Object.keys((await store.getSession('rb1'))!.rooms).filter((r) => r !== '*')
    expect(rooms).toHaveLength(10)
    // Refused joins changed nothing: their rooms have no member.
    const refused = results.flatMap((r, i) => (r === 'full' ? [`rb-${i}`] : []))
    for (const room of refused.slice(0, 5)) expect(await store.members(room, 10)).toEqual([])
    // A room already joined is joined again whatever the bound; a new one is not.
    expect(await store.joinRoom('rb1', rooms[0]!, limits, 10)).toEqual({ seq: 0, epoch: '' })
    expect(await store.joinRoom('rb1', 'rb-extra', limits, 10)).toBe('full')
    await store.leaveRoom('rb1', rooms[0]!, limits)
    expect(await store.joinRoom('rb1', 'rb-extra', limits, 10)).toEqual({ seq: 0, epoch: '' })
    expect(await store.joinRoom('rb1', 'rb-extra2', limits, 10)).toBe('full')
    // Rooms a session was created with count too.
    await store.createSession(record('rb2', { rooms: { '*': 0, a: 0, b: 0 } }), limits)
    expect(await store.joinRoom('rb2', 'c', limits, 3)).toEqual({ seq: 0, epoch: '' })
    expect(await store.joinRoom('rb2', 'd', limits, 3)).toBe('full')
  })

  it('refuses a join once the session is being ended, and a join racing the ending leaves no member behind', async () => {
    await store.createSession(record('je1'), limits)
    expect(await store.beginEnd('je1', 30_000)).toBe(true)
    expect(await store.joinRoom('je1', 'je-room', limits)).toBeNull()
    expect(await store.members('je-room', 10)).toEqual([])
    expect((await store.getSession('je1'))!.rooms).toEqual({ '*': 0 })
    // Kept for recovery and revived: joins work again.
    await store.finishEnd('je1', 'ping timeout', 60_000)
    expect(await store.joinRoom('je1', 'je-room', limits)).toBeNull()
    expect(await store.revive('je1', Date.now(), limits)).toBe(true)
    expect(await store.joinRoom('je1', 'je-room', limits)).toEqual({ seq: 0, epoch: '' })
    // Many joins racing an ending: whatever the interleaving, none is a member afterwards.
    await store.createSession(record('je2'), limits)
    const joins = Array.from({ length: 20 }, (_, i) => store.joinRoom('je2', `je-r${i}`, limits))
    const ending = (async () => {
      expect(await store.beginEnd('je2', 30_000)).toBe(true)
      const rooms = Object.keys((await store.getSession('je2'))!.rooms).filter((r) => r !== '*')
      await store.dropMemberships('je2', rooms)
    })()
    await Promise.all([...joins, ending])
    for (let i = 0; i < 20; i++) expect(await store.members(`je-r${i}`, 10)).not.toContain('je2')
  })

  it('admits connects: per address within a window, and up to a number of live sessions; a refusal counts nothing', async () => {
    const per = { sessions: 0, perAddress: 3, windowMs: 1000 }
    const seen: string[] = []
    for (let i = 0; i < 5; i++) {
      const v = await store.admitConnect('198.51.100.7', per)
      seen.push(v.admitted ? 'ok' : v.reason)
      if (!v.admitted) expect(v.retryAfterMs).toBeGreaterThan(0)
    }
    expect(seen).toEqual(['ok', 'ok', 'ok', 'address', 'address'])
    // Another address has its own count; no address, no per-address bound.
    expect((await store.admitConnect('198.51.100.8', per)).admitted).toBe(true)
    expect((await store.admitConnect(undefined, per)).admitted).toBe(true)
    await sleep(1100)
    expect((await store.admitConnect('198.51.100.7', per)).admitted).toBe(true)
    // Live sessions in total: the bound counts the live index.
    const live = (await store.sessionIds(100_000)).length
    const full = await store.admitConnect('198.51.100.9', { sessions: live, perAddress: 0, windowMs: 1000 })
    expect(full).toMatchObject({ admitted: false, reason: 'sessions' })
    expect((await store.admitConnect('198.51.100.9', { sessions: live + 1, perAddress: 0, windowMs: 1000 })).admitted).toBe(true)
  })

  it('makes an epoch with each log: a log lost and created again starts at 1 under another', async () => {
    expect((await store.read('r:epoch', 0, 10)).epoch).toBe('')
    for (let i = 1; i <= 3; i++) await store.append('r:epoch', `{"n":${i}}`, undefined, limits)
    const before = await store.read('r:epoch', 1, 10)
    expect(before.epoch).toMatch(/^[A-Za-z]{4}$/)
    expect(before.head).toBe(3)
    expect((await store.read('r:epoch', 3, 10)).epoch).toBe(before.epoch)
    await env.lose('r:epoch')
    // Gone: no head, no epoch, none of the old entries.
    expect(await store.read('r:epoch', 0, 10)).toEqual({ entries: [], first: 1, head: 0, epoch: '' })
    expect(await store.head('r:epoch')).toBe(0)
    const got: (LogEntry | null)[] = []
    const sub = store.subscribe('r:epoch', (e) => got.push(e))
    await sub.ready
    const made = await store.append('r:epoch', '{"n":"new"}', undefined, limits)
    expect(made.seq).toBe(1)
    const after = await store.read('r:epoch', 0, 10)
    expect(after.epoch).toMatch(/^[A-Za-z]{4}$/)
    expect(after.epoch).not.toBe(before.epoch)
    // The append says so: its entry is in the new log's epoch, not the lost one's.
    expect(made.epoch).toBe(after.epoch)
    expect(after.entries).toEqual([{ seq: 1, data: '{"n":"new"}' }])
    expect(after.head).toBe(1)
    // The epoch stays with the log as it grows.
    await store.append('r:epoch', '{"n":"next"}', undefined, limits)
    expect((await store.read('r:epoch', 1, 10)).epoch).toBe(after.epoch)
    // Notifications of the new log carry its epoch. (On a Cluster, notifications of the appends
    // made before the loss can still arrive late through the cluster bus: only the new log's count.)
    const fresh = () => got.filter((e) => e?.data === '{"n":"new"}' || e?.data === '{"n":"next"}')
    await until(() => fresh().length === 2, 'notification')
    expect(fresh()).toEqual([
      { seq: 1, data: '{"n":"new"}', epoch: after.epoch },
      { seq: 2, data: '{"n":"next"}', epoch: after.epoch },
    ])
    sub.unsubscribe()
  })

  it('renews a log read beyond its head in its own epoch (a rolled-back store), once per head', async () => {
    for (let i = 1; i <= 3; i++) await store.append('r:renew', `{"n":${i}}`, undefined, limits)
    const { epoch: first } = await store.read('r:renew', 0, 1)
    // Beyond the head, but in no epoch or in another one: nothing to renew.
    expect((await store.read('r:renew', 5, 10)).epoch).toBe(first)
    expect(await store.read('r:renew', 5, 10, 'Zzzz')).toEqual({ entries: [], first: 1, head: 3, epoch: first })
    // At or below the head in its own epoch: nothing either.
    expect((await store.read('r:renew', 3, 10, first)).epoch).toBe(first)
    // Beyond the head in its own epoch: entries it numbered are lost. A new epoch, saying which it continues.
    const renewed = await store.read('r:renew', 5, 10, first)
    expect(renewed.epoch).toMatch(/^[A-Za-z]{4}$/)
    expect(renewed.epoch).not.toBe(first)
    expect(renewed).toEqual({ entries: [], first: 1, head: 3, epoch: renewed.epoch, renewed: { seq: 3, epoch: first } })
    // Not again at this head: no log of the new epoch ever went past it.
    expect(await store.read('r:renew', 9, 10, renewed.epoch)).toEqual(renewed)
    expect((await store.readMany([{ key: 'r:renew', after: 5, limit: 10, epoch: first }]))[0]).toEqual(renewed)
    // Appends go on numbering under the new epoch; the entries stay.
    const got: (LogEntry | null)[] = []
    const sub = store.subscribe('r:renew', (e) => got.push(e))
    await sub.ready
    expect(await store.append('r:renew', '{"n":4}', undefined, limits)).toEqual({ seq: 4, epoch: renewed.epoch })
    await until(() => got.some((e) => e?.data === '{"n":4}'), 'notification')
    expect(got.filter((e) => e?.data === '{"n":4}')).toEqual([{ seq: 4, data: '{"n":4}', epoch: renewed.epoch }])
    sub.unsubscribe()
    const all = await store.read('r:renew', 0, 10, renewed.epoch)
    expect(all.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    expect(all).toMatchObject({ head: 4, epoch: renewed.epoch, renewed: { seq: 3, epoch: first } })
    expect(await store.position('r:renew')).toEqual({ seq: 4, epoch: renewed.epoch })
    // Past a new head, the same rule again, in one readMany with other logs too.
    await store.append('r:renew-other', '{}', undefined, limits)
    const [again, other] = await store.readMany([
      { key: 'r:renew', after: 9, limit: 10, epoch: renewed.epoch },
      { key: 'r:renew-other', after: 0, limit: 10, epoch: 'Zzzz' },
    ])
    expect(again!.epoch).not.toBe(renewed.epoch)
    expect(again).toMatchObject({ entries: [], head: 4, renewed: { seq: 4, epoch: renewed.epoch } })
    expect(other!.renewed).toBeUndefined()
    // A log lost and made again is not a renewal: it continues nothing.
    await env.lose('r:renew')
    await store.append('r:renew', '{"n":"new"}', undefined, limits)
    const remade = await store.read('r:renew', 0, 10)
    expect(remade.renewed).toBeUndefined()
    expect(remade.entries).toEqual([{ seq: 1, data: '{"n":"new"}' }])
  })

  it('notifies subscribers of appends, from any store instance, until they unsubscribe', async () => {
    const other = env.make() // another instance sharing the backend
    opened.push(other)
    const got: (LogEntry | null)[] = []
    const sub = store.subscribe('r:notify', (e) => got.push(e))
    await sub.ready
    await other.append('r:notify', '{"e":"one"}', undefined, limits)
    await other.append('r:notify', '{"e":"two"}', 'sid-z', limits)
    await until(() => got.length === 2, 'notifications')
    const { epoch } = await store.read('r:notify', 0, 1)
    expect(got).toEqual([
      { seq: 1, data: '{"e":"one"}', epoch },
      { seq: 2, data: '{"e":"two"}', exclude: 'sid-z', epoch },
    ])
    sub.unsubscribe()
    await other.append('r:notify', '{"e":"three"}', undefined, limits)
    // A marker on another key proves the third notification had time to arrive.
    const marker: unknown[] = []
    const m = store.subscribe('r:marker', (e) => marker.push(e))
    await m.ready
    await other.append('r:marker', '{}', undefined, limits)
    await until(() => marker.length === 1, 'marker')
    expect(got.length).toBe(2)
    m.unsubscribe()
  })

  it('carries signals between instances', async () => {
    const other = env.make()
    opened.push(other)
    const got: string[] = []
    const off = store.onSignal('ack:inst-1', (m) => got.push(m))
    // onSignal has no ready promise: retry until the subscription is live.
    await until(async () => {
      await other.signal('ack:inst-1', 'hello')
      return got.length > 0
    }, 'signal')
    expect(got[0]).toBe('hello')
    off()
  })
  it('keeps apps with different key prefixes on one backend apart: sessions, idle lists, endings, logs, rooms, signals', async () => {
    const other = env.apart()
    opened.push(other)
    await store.createSession(record('mine', { lastSeen: 100, rooms: { '*': 0 } }), limits)
    await other.createSession(record('theirs', { lastSeen: 100, rooms: { '*': 0 } }), limits)
    expect(await other.getSession('mine')).toBeNull()
    expect(await store.getSession('theirs')).toBeNull()
    // The sweep's view: only its own idle sessions, and an ending never reaches the other app.
    expect(await store.idleSessions(Number.MAX_SAFE_INTEGER, 10_000)).not.toContain('theirs')
    expect(await other.idleSessions(Number.MAX_SAFE_INTEGER, 10_000)).toEqual(['theirs'])
    expect(await store.beginEnd('theirs', 30_000)).toBe(false)
    expect((await other.getSession('theirs'))!.token).toBe('tok-theirs')
    // Logs, rooms and claims of the same names are separate.
    await store.append('r:*', '{"e":"mine"}', undefined, limits)
    expect((await other.read('r:*', 0, 10)).entries).toEqual([])
    await store.joinRoom('mine', 'shared-name', limits)
    expect(await other.members('shared-name', 100)).toEqual([])
    expect(await store.claimMessages('theirs', 'tok-theirs', [1], claimLimits)).toEqual({ authorized: false })
    // Signals of the same name too: each hears only its own (markers prove delivery happened).
    const heard: string[] = []
    const mine: string[] = []
    const off = other.onSignal('ack:same', (m) => heard.push(m))
    const offMine = store.onSignal('ack:same', (m) => mine.push(m))
    await until(async () => {
      await other.signal('ack:same', 'theirs')
      return heard.length > 0
    }, 'their signal')
    await until(async () => {
      await store.signal('ack:same', 'mine')
      return mine.length > 0
    }, 'own signal')
    await other.signal('ack:same', 'their marker')
    await until(() => heard.includes('their marker'), 'their marker')
    expect(heard.filter((m) => m === 'mine')).toEqual([])
    expect(mine.filter((m) => m !== 'mine')).toEqual([])
    off()
    offMine()
  })
})
