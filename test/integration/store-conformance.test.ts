import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type LogEntry, type SessionRecord, type Store, type StoreLimits } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import * as redisHarness from '../support/redis.js'
import { until } from '../support/server.js'

/**
 * One conformance suite, run against every store: what the server relies on,
 * stated once. Stores differ in where state lives, never in what it means.
 */
interface StoreCase {
  name: string
  setup(): Promise<{ make(): Store; teardown(): Promise<void> }>
}

let prefixes = 0
const prefix = () => `t${process.pid}x${++prefixes}`

const cases: StoreCase[] = [
  {
    name: 'memory',
    async setup() {
      // One process, one memory store: every "instance" is the same store.
      const shared = memoryStore()
      return { make: () => shared, teardown: async () => {} }
    },
  },
  {
    name: 'redis',
    async setup() {
      const redis = await redisHarness.startRedis()
      const shared = prefix()
      return { make: () => redisStore(redis.url, { prefix: shared }), teardown: () => redis.stop() }
    },
  },
  {
    name: 'redis cluster',
    async setup() {
      const cluster = await redisHarness.startRedisCluster()
      const shared = prefix()
      return { make: () => redisStore(cluster.nodes, { prefix: shared }), teardown: () => cluster.stop() }
    },
  },
]

const limits: StoreLimits = { ttl: 60, maxLogLength: 100 }
const claimLimits = { ...limits, staleAfter: 10_000 }

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

  it('ends a session exactly once, however many callers race', async () => {
    await store.createSession(record('end-1'), limits)
    const results = await Promise.all(Array.from({ length: 8 }, () => store.endSession('end-1')))
    expect(results.filter(Boolean).length).toBe(1)
    expect(await store.idleSessions(Number.MAX_SAFE_INTEGER, 10_000)).not.toContain('end-1')
    await store.append('d:end-1', '{"e":"x"}', undefined, limits)
    await store.deleteSession('end-1')
    expect(await store.getSession('end-1')).toBeNull()
    expect((await store.read('d:end-1', 0, 10)).entries).toEqual([])
  })

  it('claims message batches once, replays their acks, and re-issues stale claims', async () => {
    await store.createSession(record('c1'), limits)
    expect(await store.claimBatch('c1', 'tok-c1', [1, 2], 1, claimLimits)).toEqual({ fresh: [1, 2], acks: null, pending: false })
    // A retry before the first attempt finished: pending.
    expect(await store.claimBatch('c1', 'tok-c1', [1, 2], 2, claimLimits)).toEqual({ fresh: [], acks: null, pending: true })
    await store.finishBatch('c1', [1, 2], '[{"id":1,"data":"a"}]')
    expect(await store.claimBatch('c1', 'tok-c1', [1, 2], 3, claimLimits)).toEqual({ fresh: [], acks: '[{"id":1,"data":"a"}]', pending: false })
    // The next batch; a partial overlap runs only the new ids.
    expect(await store.claimBatch('c1', 'tok-c1', [2, 3, 4], 4, claimLimits)).toEqual({ fresh: [3, 4], acks: null, pending: false })
    // An old duplicate of an earlier batch runs nothing.
    expect(await store.claimBatch('c1', 'tok-c1', [1, 2], 5, claimLimits)).toEqual({ fresh: [], acks: null, pending: false })
    // A claim whose instance died (never finished) comes back as interrupted after staleAfter, not to be run again.
    expect(await store.claimBatch('c1', 'tok-c1', [2, 3, 4], 5 + claimLimits.staleAfter + 1, claimLimits)).toEqual({ fresh: [], acks: null, pending: false, interrupted: true })
    // A claim given back (its handler failed on the store) runs again on retry.
    expect((await store.claimBatch('c1', 'tok-c1', [5, 6], 20_000, claimLimits)).fresh).toEqual([5, 6])
    await store.releaseBatch('c1', [5, 6])
    expect((await store.claimBatch('c1', 'tok-c1', [5, 6], 20_001, claimLimits)).fresh).toEqual([5, 6])
    await store.finishBatch('c1', [5, 6], '[]')
    await store.releaseBatch('c1', [5, 6]) // a finished batch cannot be given back
    expect(await store.claimBatch('c1', 'tok-c1', [5, 6], 20_002, claimLimits)).toEqual({ fresh: [], acks: '[]', pending: false })
    expect(await store.claimBatch('nobody', 'tok-nobody', [1], 1, claimLimits)).toEqual({ authorized: false, fresh: [], acks: null, pending: false })
    // Without the session's token nothing is claimed: the next real batch still runs.
    expect(await store.claimBatch('c1', 'stolen', [99], 20_003, claimLimits)).toEqual({ authorized: false, fresh: [], acks: null, pending: false })
    expect((await store.claimBatch('c1', 'tok-c1', [7], 20_003, claimLimits)).fresh).toEqual([7])
  })

  it('rate-limits fresh messages per window, refusing a batch whole and changing nothing', async () => {
    await store.createSession(record('rl1'), limits)
    const rated = { ...claimLimits, rate: { limit: 5, windowMs: 1000 } }
    const t = 10_000_000 // the start of a window
    expect((await store.claimBatch('rl1', 'tok-rl1', [1, 2, 3], t, rated)).fresh).toEqual([1, 2, 3])
    // 3 + 3 > 5: refused whole, with the time left in the window.
    expect(await store.claimBatch('rl1', 'tok-rl1', [4, 5, 6], t + 400, rated)).toEqual({ fresh: [], acks: null, pending: false, retryAfterMs: 600 })
    // Nothing was claimed by the refusal: 4 and 5 still fit.
    expect((await store.claimBatch('rl1', 'tok-rl1', [4, 5], t + 500, rated)).fresh).toEqual([4, 5])
    // The next window starts counting again; a retry of an old batch is not counted.
    await store.finishBatch('rl1', [4, 5], '[]')
    expect(await store.claimBatch('rl1', 'tok-rl1', [4, 5], t + 600, rated)).toEqual({ fresh: [], acks: '[]', pending: false })
    expect((await store.claimBatch('rl1', 'tok-rl1', [6, 7, 8, 9, 10, 11, 12], t + 1000, rated)).fresh).toEqual([6, 7, 8, 9, 10, 11, 12])
  })

  it('numbers log entries, reads after a cursor, keeps exclusions, bounds the log', async () => {
    expect(await store.head('r:log-1')).toBe(0)
    expect(await store.read('r:log-1', 0, 10)).toEqual({ entries: [], first: 1, head: 0 })
    for (let i = 1; i <= 5; i++) expect(await store.append('r:log-1', `{"n":${i}}`, i === 3 ? 'sid-x' : undefined, limits)).toBe(i)
    expect(await store.head('r:log-1')).toBe(5)
    const r = await store.read('r:log-1', 2, 2)
    expect(r).toEqual({ entries: [{ seq: 3, data: '{"n":3}', exclude: 'sid-x' }, { seq: 4, data: '{"n":4}' }], first: 1, head: 5 })
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

  it('tags appends with their origin; a re-run append of the same origin is not appended twice', async () => {
    const first = await store.append('r:origin', '{"e":"a"}', undefined, limits, { id: 's:1:0', check: false })
    await store.append('r:origin', '{"e":"other"}', undefined, limits)
    expect(await store.append('r:origin', '{"e":"a"}', undefined, limits, { id: 's:1:0', check: true })).toBe(first)
    const fresh = await store.append('r:origin', '{"e":"b"}', undefined, limits, { id: 's:1:1', check: true })
    expect(fresh).toBe(first + 2)
    const { entries } = await store.read('r:origin', 0, 10)
    expect(entries.map((e) => [e.seq, e.origin])).toEqual([
      [first, 's:1:0'],
      [first + 1, undefined],
      [fresh, 's:1:1'],
    ])
  })

  it('marks the claim of a batch given back as a re-run', async () => {
    await store.createSession(record('rr'), limits)
    expect((await store.claimBatch('rr', 'tok-rr', [1, 2], 1, claimLimits)).rerun).toBeUndefined()
    await store.releaseBatch('rr', [1, 2])
    expect(await store.claimBatch('rr', 'tok-rr', [1, 2], 2, claimLimits)).toEqual({ fresh: [1, 2], acks: null, pending: false, rerun: true })
    await store.finishBatch('rr', [1, 2], '[]')
    expect((await store.claimBatch('rr', 'tok-rr', [3], 3, claimLimits)).rerun).toBeUndefined()
  })

  it('joins and leaves rooms at the head of the room log', async () => {
    await store.createSession(record('m1'), limits)
    await store.createSession(record('m2'), limits)
    await store.append('r:green', '{"e":"before"}', undefined, limits)
    expect(await store.joinRoom('m1', 'green', limits)).toBe(1)
    await store.append('r:green', '{"e":"after"}', undefined, limits)
    expect(await store.joinRoom('m2', 'green', limits)).toBe(2)
    expect((await store.members('green', 100)).sort()).toEqual(['m1', 'm2'])
    expect((await store.getSession('m1'))!.rooms).toEqual({ '*': 0, green: 1 })
    expect(await store.leaveRoom('m1', 'green', limits)).toBe(2)
    expect(await store.members('green', 100)).toEqual(['m2'])
    expect((await store.getSession('m1'))!.rooms).toEqual({ '*': 0 })
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
    expect(got).toEqual([
      { seq: 1, data: '{"e":"one"}' },
      { seq: 2, data: '{"e":"two"}', exclude: 'sid-z' },
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
})
