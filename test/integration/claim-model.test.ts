import { isDeepStrictEqual } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { memoryStore, type ClaimResult, type Store, type StoreLimits } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { claimMessages, finishMessages, newClaimState, renewLeases, startMessages, type ClaimState, type RateLimit } from '../../handler/src/store/claim-model.js'
import { startRedis, startRedisCluster, type RedisCluster, type RedisServer } from '../support/redis.js'

/**
 * Model-based test of per-message claims (issue 13, item 8). claim-model.ts is the
 * reference: fast-check generates what a client and its requests do to one session
 * (claim a new batch, retry it, a stray old duplicate, renew, mark started, finish, time passing,
 * a wrong token, a session that does not exist; a client with one POST at a time, or
 * several in flight, overtaking each other) and every claim's reply from a real
 * store must equal the model's. The memory store runs the model itself (this checks
 * its plumbing: tokens, sessions); the Redis store runs the same rule written again
 * in Lua, on a real redis-server and a real 3-node cluster, timed by Redis TIME.
 */

/** Fixed, so CI runs the same sequences; CLAIM_MODEL_SEED=<n> explores others (lane i uses n + i). */
const SEED = Number(process.env.CLAIM_MODEL_SEED ?? 0xc1a1)
const LIMITS: StoreLimits = { ttl: 60, maxLogLength: 100 }
/** Leases are short so that time can pass them: Redis times them by its own clock, for real. */
const LEASE = 500
/** Time steps. One PART leaves a lease live; two PARTs, or one PAST, are beyond it. */
const PART = 300
const PAST = 520
/**
 * Real time runs ahead of the model's by the time commands take (and late timers), never
 * behind it. A lease the model calls past was taken at least 2 PARTs or a PAST ago, more than
 * LEASE + 20 ms: the store agrees. One the model calls live was taken at most one PART ago:
 * the store agrees while the lag grown since stays under LEASE - PART; a run where it does
 * not is skipped (fc.pre, counted), as its outcome is up to the scheduler.
 */
const LAG_ALLOWED = LEASE - PART - 10
/** Renew and finish pick among the last RECENT ids a client sent. */
const RECENT = 8
const OWNERS = ['req-a', 'req-b', 'req-c']

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i)

// --- the two sides --------------------------------------------------------------------------------

/** The reference: a ClaimState and the model's clock, plus what the client has sent so far. */
interface Model {
  st: ClaimState
  now: number
  /** the client's next message id */
  next: number
  /** the client's last batch, and the request that claimed it last */
  last: number[]
  lastOwner: string
  /**
   * A client with several POSTs in flight says which messages it has had answered (every id
   * up to this one); undefined for a client with one POST at a time, which says nothing.
   */
  answered?: number
  /** that client's batches sent but not arrived yet (a POST overtaken by a later one) */
  delayed: number[][]
}

/** Drives the store's clock alongside the model's. */
interface Clock {
  /** exact: the store's clock is the model's (memory store under a fake Date) */
  readonly exact: boolean
  /** starts a run; returns the model's start time */
  begin(): number
  advance(ms: number): Promise<void>
  /** after each store call: skips the run if real time drifted too far from the model's */
  check(stats: Stats): void
}

/** Date.now() is the model's clock, set by hand: the memory store's leases and windows are exact. */
function fakeClock(): Clock {
  let t = 0
  let runs = 0
  return {
    exact: true,
    begin() {
      // Vary where in a rate-limit window each run starts.
      t = 1_767_225_600_000 + ((++runs * 337) % 1000)
      vi.setSystemTime(t)
      return t
    },
    async advance(ms) {
      t += ms
      vi.setSystemTime(t)
    },
    check() {},
  }
}

/** Real time (Redis TIME): the model's clock moves by exactly what the store's clock slept. */
function realClock(): Clock {
  let start = 0
  let elapsed = 0
  let lagBefore = 0
  let lagNow = 0
  const lag = () => Date.now() - start - elapsed
  return {
    exact: false,
    begin() {
      start = Date.now()
      elapsed = lagBefore = lagNow = 0
      return start
    },
    async advance(ms) {
      await sleep(ms)
      elapsed += ms
      lagBefore = lagNow
      lagNow = lag()
    },
    check(stats) {
      // A lease live in the model was taken in this step or the one before it.
      stats.maxLag = Math.max(stats.maxLag, lag() - lagBefore)
      if (lag() - lagBefore > LAG_ALLOWED) {
        stats.skipped++
        fc.pre(false)
      }
    },
  }
}

interface Stats {
  runs: number
  commands: number
  skipped: number
  /** the most real time ran ahead of the model's within two steps, ms */
  maxLag: number
  statuses: Record<string, number>
  refused: number
}

interface System {
  store: Store
  sid: string
  token: string
  clock: Clock
  /** the rate limit this run's claims may pass */
  rate?: RateLimit
  stats: Stats
  /** what happened so far, for the failure message */
  trace: string[]
}

const show = (r: ClaimResult) =>
  !r.authorized
    ? 'refused'
    : r.claims.map((c) => `${c.id}:${c.status}${c.ack !== undefined ? `=${c.ack}` : ''}`).join(' ') + (r.retryAfterMs !== undefined ? ` retryAfter=${r.retryAfterMs}` : '')

/** Same reply? On a real clock the two clocks differ by the lag, so retryAfterMs is compared within it. */
function agrees(clock: Clock, model: ClaimResult, real: ClaimResult): boolean {
  if (clock.exact || !model.authorized || !real.authorized) return isDeepStrictEqual(JSON.parse(JSON.stringify(real)), JSON.parse(JSON.stringify(model)))
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(real.claims)), JSON.parse(JSON.stringify(model.claims)))) return false
  if ((model.retryAfterMs === undefined) !== (real.retryAfterMs === undefined)) return false
  if (model.retryAfterMs === undefined) return true
  const late = model.retryAfterMs - real.retryAfterMs!
  return late >= -5 && late <= 30_000
}

function check(r: System, step: string, model: ClaimResult, real: ClaimResult): void {
  r.trace.push(`${step}\n      model: ${show(model)}${isDeepStrictEqual(model, real) ? '' : `\n      store: ${show(real)}`}`)
  if (!agrees(r.clock, model, real)) throw new Error(`the store disagrees with claim-model.ts at the last step:\n    ${r.trace.join('\n    ')}`)
  if (real.authorized) for (const c of real.claims) r.stats.statuses[c.status] = (r.stats.statuses[c.status] ?? 0) + 1
  else r.stats.refused++
}

// --- commands -------------------------------------------------------------------------------------

/** A command; each run is counted. */
abstract class Cmd implements fc.AsyncCommand<Model, System> {
  check(_m: Readonly<Model>): boolean {
    return true
  }
  async run(m: Model, r: System): Promise<void> {
    r.stats.commands++
    await this.exec(m, r)
  }
  abstract exec(m: Model, r: System): Promise<void>
  abstract toString(): string
}

/** Claims `ids` as `owner` on both sides and compares the replies. */
async function claimBoth(m: Model, r: System, label: string, ids: number[], owner: string, rated: boolean): Promise<void> {
  const rate = rated ? r.rate : undefined
  const answered = m.answered
  const got = await r.store.claimMessages(r.sid, r.token, ids, { ...LIMITS, leaseMs: LEASE, owner, ...(rate ? { rate } : {}) }, answered)
  if (got.authorized && got.record?.sid !== r.sid) throw new Error(`an authorized claim came without its session's record: ${show(got)}`)
  // The model knows claims, not records: the record the claim brings along is checked above.
  const real: ClaimResult = got.authorized ? { authorized: true, claims: got.claims, ...(got.retryAfterMs !== undefined ? { retryAfterMs: got.retryAfterMs } : {}) } : got
  r.clock.check(r.stats)
  const model: ClaimResult = { authorized: true, ...claimMessages(m.st, ids, m.now, LEASE, owner, rate, answered) }
  const said = answered === undefined ? '' : ` answered ${answered}`
  check(r, `${label} [${ids.join(',')}] as ${owner}${rate ? ` rate ${rate.limit}` : ''}${said}`, model, real)
}

/** The ids a client sent lately, oldest first. */
const recent = (m: Model) => range(Math.max(1, m.next - RECENT), Math.min(RECENT, m.next - 1))

/** The client sends its next messages; with `delay` (a client with several POSTs in flight) the POST is overtaken and arrives later. */
class ClaimNew extends Cmd {
  ids: number[] = []
  constructor(readonly size: number, readonly owner: string, readonly rated: boolean, readonly delay: boolean) {
    super()
  }
  async exec(m: Model, r: System) {
    this.ids = range(m.next, this.size)
    m.next += this.size
    if (this.delay && m.answered !== undefined) {
      m.delayed.push(this.ids)
      r.trace.push(`send [${this.ids}] (on its way)`)
      return
    }
    m.last = this.ids
    m.lastOwner = this.owner
    await claimBoth(m, r, 'claim new', this.ids, this.owner, this.rated)
  }
  toString() {
    return `claimNew(${this.size}, ${this.owner}${this.rated ? ', rated' : ''}${this.delay ? ', delay' : ''}) [${this.ids}]`
  }
}

/** An overtaken POST arrives. */
class Arrive extends Cmd {
  ids: number[] = []
  constructor(readonly pick: number, readonly owner: string, readonly rated: boolean) {
    super()
  }
  override check(m: Readonly<Model>) {
    return m.delayed.length > 0
  }
  async exec(m: Model, r: System) {
    this.ids = m.delayed.splice(this.pick % m.delayed.length, 1)[0]!
    m.last = this.ids
    m.lastOwner = this.owner
    await claimBoth(m, r, 'arrives', this.ids, this.owner, this.rated)
  }
  toString() {
    return `arrive(${this.pick}, ${this.owner}${this.rated ? ', rated' : ''}) [${this.ids}]`
  }
}

/** Replies reach the client: it has had `n` more of its messages answered (never past what it sent). */
class Answered extends Cmd {
  constructor(readonly n: number) {
    super()
  }
  override check(m: Readonly<Model>) {
    return m.answered !== undefined
  }
  async exec(m: Model, r: System) {
    m.answered = Math.min(m.next - 1, m.answered! + this.n)
    r.trace.push(`the client has had up to ${m.answered} answered`)
  }
  toString() {
    return `answered(+${this.n})`
  }
}

/** The client retries its last batch, or the part of it still unanswered. */
class ClaimRetry extends Cmd {
  ids: number[] = []
  constructor(readonly from: number, readonly owner: string, readonly rated: boolean) {
    super()
  }
  override check(m: Readonly<Model>) {
    return m.last.length > 0
  }
  async exec(m: Model, r: System) {
    this.ids = m.last.slice(this.from % m.last.length)
    m.lastOwner = this.owner
    await claimBoth(m, r, 'retry', this.ids, this.owner, this.rated)
  }
  toString() {
    return `claimRetry(from ${this.from}, ${this.owner}${this.rated ? ', rated' : ''}) [${this.ids}]`
  }
}

/** A duplicate of an older request arriving late. */
class ClaimStray extends Cmd {
  ids: number[] = []
  constructor(readonly back: number, readonly size: number, readonly owner: string) {
    super()
  }
  override check(m: Readonly<Model>) {
    return m.next > 1
  }
  async exec(m: Model, r: System) {
    const first = Math.max(1, m.next - this.back)
    this.ids = range(first, Math.min(this.size, m.next - first))
    await claimBoth(m, r, 'stray', this.ids, this.owner, false)
  }
  toString() {
    return `claimStray(back ${this.back}, ${this.size}, ${this.owner}) [${this.ids}]`
  }
}

/**
 * Without an owner: the request that claimed the last batch renews its leases on it (what
 * a running handler does). With one: any request, on any of the recent ids.
 */
class Renew extends Cmd {
  ids: number[] = []
  by = ''
  constructor(readonly pick: boolean[], readonly owner?: string) {
    super()
  }
  async exec(m: Model, r: System) {
    this.by = this.owner ?? m.lastOwner
    this.ids = (this.owner ? recent(m) : m.last).filter((_, i) => this.pick[i])
    await r.store.renewLeases(r.sid, this.ids, LEASE, this.by)
    r.clock.check(r.stats)
    renewLeases(m.st, this.ids, m.now, LEASE, this.by)
    r.trace.push(`renew [${this.ids}] as ${this.by}`)
  }
  toString() {
    return `renew(${this.owner ?? 'last claimer'}) [${this.ids}] as ${this.by}`
  }
}

/**
 * Handlers' synchronous parts ran and their writes are stored: without an owner, the request
 * that claimed the last batch marks it started; with one, any request, on any of the recent ids.
 */
class Start extends Cmd {
  ids: number[] = []
  by = ''
  constructor(readonly pick: boolean[], readonly owner?: string) {
    super()
  }
  async exec(m: Model, r: System) {
    this.by = this.owner ?? m.lastOwner
    this.ids = (this.owner ? recent(m) : m.last).filter((_, i) => this.pick[i])
    await r.store.startMessages(r.sid, this.ids, this.by)
    r.clock.check(r.stats)
    startMessages(m.st, this.ids, this.by)
    r.trace.push(`start [${this.ids}] as ${this.by}`)
  }
  toString() {
    return `start(${this.owner ?? 'last claimer'}) [${this.ids}] as ${this.by}`
  }
}

/**
 * Per id, 0 untouched, 1 done with acks[i], 2 given back. Without an owner: the request that
 * claimed the last batch records how its messages ended; with one: any request, any recent id.
 */
class Finish extends Cmd {
  done: { id: number; ack: string }[] = []
  released: number[] = []
  by = ''
  constructor(readonly how: number[], readonly acks: string[], readonly owner?: string) {
    super()
  }
  async exec(m: Model, r: System) {
    this.by = this.owner ?? m.lastOwner
    const ids = this.owner ? recent(m) : m.last
    this.done = ids.flatMap((id, i) => (this.how[i] === 1 ? [{ id, ack: this.acks[i]! }] : []))
    this.released = ids.filter((_, i) => this.how[i] === 2)
    await r.store.finishMessages(r.sid, this.done, this.released, this.by)
    r.clock.check(r.stats)
    finishMessages(m.st, this.done, this.released, this.by)
    r.trace.push(`finish done ${JSON.stringify(this.done)} released [${this.released}] as ${this.by}`)
  }
  toString() {
    return `finish(${this.owner ?? 'last claimer'}) done ${JSON.stringify(this.done)} released [${this.released}] as ${this.by}`
  }
}

class Advance extends Cmd {
  constructor(readonly ms: number) {
    super()
  }
  async exec(m: Model, r: System) {
    await r.clock.advance(this.ms)
    m.now += this.ms
    r.trace.push(`wait ${this.ms} ms`)
  }
  toString() {
    return `wait(${this.ms})`
  }
}

/** Someone without the session's token: refused, and nothing changes (later claims show it). */
class ClaimWrongToken extends Cmd {
  ids: number[] = []
  constructor(readonly retry: boolean) {
    super()
  }
  async exec(m: Model, r: System) {
    this.ids = this.retry && m.last.length ? m.last : [m.next]
    // Saying everything was answered would drop records, were the claim not refused.
    const real = await r.store.claimMessages(r.sid, `${r.token}-stolen`, this.ids, { ...LIMITS, leaseMs: LEASE, owner: 'thief' }, m.answered === undefined ? undefined : m.next - 1)
    check(r, `claim [${this.ids}] with a wrong token`, { authorized: false }, real)
  }
  toString() {
    return `claimWrongToken [${this.ids}]`
  }
}

/** A claim on a session that does not exist: refused, and it does not come into being. */
class ClaimGhost extends Cmd {
  async exec(m: Model, r: System) {
    const ghost = `${r.sid}-ghost`
    const real = await r.store.claimMessages(ghost, r.token, [1], { ...LIMITS, leaseMs: LEASE, owner: 'req-a' })
    check(r, 'claim [1] on a session that does not exist', { authorized: false }, real)
    if ((await r.store.getSession(ghost)) !== null) throw new Error(`a refused claim created session ${ghost}`)
  }
  toString() {
    return 'claimGhost'
  }
}

const owner = fc.constantFrom(...OWNERS)
const rated = fc.boolean()
/** mostly the request that claimed the last batch, sometimes any */
const anyOwner = fc.option(owner, { nil: undefined, freq: 3 })
const picks = <T,>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: RECENT, maxLength: RECENT })
const ack = fc.oneof(fc.constant(''), fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v)))
const commands = fc.commands(
  [
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 5 }), owner, rated, fc.nat(3)).map(([n, o, r, d]) => new ClaimNew(n, o, r, d === 0)) },
      { weight: 2, arbitrary: fc.tuple(fc.nat(3), owner, rated).map(([i, o, r]) => new Arrive(i, o, r)) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((n) => new Answered(n)) },
      { weight: 4, arbitrary: fc.tuple(fc.nat(4), owner, rated).map(([f, o, r]) => new ClaimRetry(f, o, r)) },
      { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 3 }), owner).map(([b, n, o]) => new ClaimStray(b, n, o)) },
      { weight: 2, arbitrary: fc.tuple(picks(fc.boolean()), anyOwner).map(([p, o]) => new Renew(p, o)) },
      { weight: 3, arbitrary: fc.tuple(picks(fc.boolean()), anyOwner).map(([p, o]) => new Start(p, o)) },
      { weight: 4, arbitrary: fc.tuple(picks(fc.constantFrom(0, 1, 1, 2)), picks(ack), anyOwner).map(([h, a, o]) => new Finish(h, a, o)) },
      { weight: 3, arbitrary: fc.constantFrom(PART, PAST).map((ms) => new Advance(ms)) },
      { weight: 1, arbitrary: fc.boolean().map((retry) => new ClaimWrongToken(retry)) },
      { weight: 1, arbitrary: fc.constant(new ClaimGhost()) },
    ),
  ],
  { maxCommands: 40, size: 'medium' },
)

/** A rate limit per run, or none; its window is the store's to choose (see below). */
const rateLimit = fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined })
/** Per run, the client: one POST at a time, or several in flight (it says what it has had answered). */
const pipelined = fc.boolean()

let sessions = 0

/** The property, on one store: every claim's reply equals the model's. */
function claimsProperty(store: Store, clock: Clock, windowMs: number, stats: Stats) {
  return fc.asyncProperty(rateLimit, pipelined, commands, async (limit, several, cmds) => {
    stats.runs++
    const sid = `cm${process.pid}x${++sessions}`
    const token = `tok-${sid}`
    const rate = limit === undefined ? undefined : { limit, windowMs }
    await fc.asyncModelRun(async () => {
      await store.createSession({ sid, token, user: null, state: {}, rooms: { '*': 0 }, transport: 'sse', createdAt: 0, lastSeen: 0 }, LIMITS)
      const now = clock.begin()
      const trace = [`rate limit: ${rate ? `${rate.limit} per ${windowMs} ms` : 'none'}; ${several ? 'several POSTs in flight' : 'one POST at a time'}`]
      const model: Model = { st: newClaimState(), now, next: 1, last: [], lastOwner: OWNERS[0]!, delayed: [], ...(several ? { answered: 0 } : {}) }
      const real: System = { store, sid, token, clock, stats, trace, ...(rate ? { rate } : {}) }
      return { model, real }
    }, cmds)
  })
}

const newStats = (): Stats => ({ runs: 0, commands: 0, skipped: 0, maxLag: 0, statuses: {}, refused: 0 })

function report(name: string, stats: Stats, ms: number) {
  console.log(`claim model vs ${name}: ${stats.runs} runs, ${stats.commands} commands, ${stats.skipped} runs skipped for timing (max lag ${stats.maxLag} ms), ${Math.round(ms)} ms; statuses seen ${JSON.stringify(stats.statuses)}, refused ${stats.refused}`)
}

/** Every status must have been compared somewhere, or the test proves less than it claims. */
function expectCoverage(stats: Stats) {
  for (const s of ['fresh', 'rerun', 'done', 'running', 'interrupted', 'old', 'deferred', 'early']) expect(stats.statuses[s] ?? 0, s).toBeGreaterThan(0)
  expect(stats.refused).toBeGreaterThan(0)
}

/**
 * Real-time stores run several properties at once (each its own sessions and seed): runs
 * mostly sleep, so lanes cost little CPU and many more runs fit in the time.
 */
async function lanes(n: number, numRuns: number, make: () => { store: Store; clock: Clock }, windowMs: number, stats: Stats) {
  await allLanes(
    range(0, n).map(async (lane) => {
      const { store, clock } = make()
      await warmUp(store)
      await fc.assert(claimsProperty(store, clock, windowMs, stats), realTimeOptions(lane, numRuns))
    }),
  )
}

/**
 * Connects to every node and loads the scripts there before the first timed step: refused
 * claims on sessions that do not exist, spread over hash slots, change nothing.
 */
async function warmUp(store: Store) {
  await Promise.all(range(0, 24).map((i) => store.claimMessages(`warm-up-${i}`, 'none', [1], { ...LIMITS, leaseMs: LEASE, owner: 'warm-up' })))
}

/**
 * Shrinking replays sequences in real time (their waits included): past LANE_TIME_MS a lane
 * stops and reports the smallest counterexample found so far, or fails for being too slow.
 */
const LANE_TIME_MS = 40_000
const realTimeOptions = (lane: number, numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED + lane,
  numRuns,
  plugins: [fc.interruptAfterTimeLimit(LANE_TIME_MS, { failOnInterrupt: true })],
})

/** Waits for every lane (none left running into the next test), then fails with the first failure. */
async function allLanes(runs: Promise<void>[]) {
  const failed = (await Promise.allSettled(runs)).find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
}

/** A rate window of ~31,700 years: Redis TIME is wall-clock, and such a window cannot turn over mid-run. */
const NEVER_TURNS = 1e15

/** Short rate windows, for the property where they turn over on Redis TIME. */
const WINDOW = 300

/**
 * A client sending more than its rate limit, on real rate windows: per window, batches of
 * new messages (or the deferred rest of the last one); what is admitted is finished, what
 * is deferred is sent again, in this window or a later one. Every reply must equal the
 * model's, which is put at the start of the same window. `carried` counts the messages
 * deferred in one window and admitted in a later one.
 */
function windowProperty(store: Store, stats: Stats, carried: { n: number }) {
  const sizes = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 })
  return fc.asyncProperty(fc.integer({ min: 1, max: 4 }), sizes, fc.integer({ min: 2, max: 3 }), async (limit, batches, windows) => {
    stats.runs++
    const sid = `cw${process.pid}x${++sessions}`
    const token = `tok-${sid}`
    await store.createSession({ sid, token, user: null, state: {}, rooms: { '*': 0 }, transport: 'sse', createdAt: 0, lastSeen: 0 }, LIMITS)
    const rate = { limit, windowMs: WINDOW }
    const limits = { ...LIMITS, leaseMs: 60_000, owner: 'req-a', rate }
    const st = newClaimState()
    const trace = [`rate limit: ${limit} per ${WINDOW} ms`]
    const r: System = { store, sid, token, clock: realClock(), stats, trace, rate }
    let next = 1
    let pending: number[] = []
    const deferredIn = new Map<number, number>()
    // Start 10 ms into a window, so that one window's claims do not straddle its end.
    await sleep(WINDOW - (Date.now() % WINDOW) + 10)
    for (let w = 0; w < windows; w++) {
      const window = Math.floor(Date.now() / WINDOW)
      const now = window * WINDOW + 10
      trace.push(`window ${w}`)
      for (const size of batches) {
        const ids = pending.length ? pending : range(next, size)
        if (!pending.length) next += size
        stats.commands++
        const real = await store.claimMessages(sid, token, ids, limits)
        if (Math.floor(Date.now() / WINDOW) !== window) {
          stats.skipped++
          fc.pre(false)
        }
        check(r, `claim [${ids}]`, { authorized: true, ...claimMessages(st, ids, now, limits.leaseMs, limits.owner, rate) }, real)
        if (!real.authorized) return
        if (real.retryAfterMs !== undefined && !(real.retryAfterMs > 0 && real.retryAfterMs <= WINDOW - 10)) throw new Error(`retryAfterMs ${real.retryAfterMs} is not within this window:\n    ${trace.join('\n    ')}`)
        const ran = real.claims.filter((c) => c.status === 'fresh' || c.status === 'rerun').map((c) => ({ id: c.id, ack: `{"id":${c.id}}` }))
        for (const c of ran) if ((deferredIn.get(c.id) ?? w) < w) carried.n++
        pending = real.claims.filter((c) => c.status === 'deferred').map((c) => c.id)
        for (const id of pending) if (!deferredIn.has(id)) deferredIn.set(id, w)
        stats.commands++
        await store.finishMessages(sid, ran, [], limits.owner)
        finishMessages(st, ran, [], limits.owner)
        trace.push(`finish done [${ran.map((d) => d.id)}]`)
      }
      await sleep(WINDOW - (Date.now() % WINDOW) + 10)
    }
  })
}

describe('claims, leases and the rate limit follow claim-model.ts', () => {
  let redis: RedisServer
  let cluster: RedisCluster
  const stores: Store[] = []

  beforeAll(async () => {
    ;[redis, cluster] = await Promise.all([startRedis(), startRedisCluster()])
  }, 60_000)
  afterAll(async () => {
    for (const s of stores) await s.close()
    await Promise.all([redis?.stop(), cluster?.stop()])
  })

  it('memory store, on the model clock (Date faked), rate windows of 1 s turning over', async () => {
    const stats = newStats()
    const t0 = performance.now()
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      await fc.assert(claimsProperty(memoryStore(), fakeClock(), 1000, stats), { seed: SEED, numRuns: 300 })
    } finally {
      vi.useRealTimers()
    }
    report('memory', stats, performance.now() - t0)
    expectCoverage(stats)
  })

  it('redis-server (Lua, Redis TIME)', { timeout: LANE_TIME_MS + 20_000 }, async () => {
    const stats = newStats()
    const t0 = performance.now()
    await lanes(8, 8, () => {
      const store = redisStore(redis.url, { prefix: `cm${process.pid}` })
      stores.push(store)
      return { store, clock: realClock() }
    }, NEVER_TURNS, stats)
    report('redis', stats, performance.now() - t0)
    expectCoverage(stats)
  })

  it('redis-server: rate windows turning over (Redis TIME)', { timeout: LANE_TIME_MS + 20_000 }, async () => {
    const stats = newStats()
    const carried = { n: 0 }
    const t0 = performance.now()
    const store = redisStore(redis.url, { prefix: `cw${process.pid}` })
    stores.push(store)
    await warmUp(store)
    await allLanes(range(0, 4).map((lane) => fc.assert(windowProperty(store, stats, carried), realTimeOptions(lane, 5))))
    report('redis, rate windows', stats, performance.now() - t0)
    console.log(`  ${carried.n} messages deferred in one window were admitted in a later one`)
    expect(carried.n).toBeGreaterThan(0)
    expect(stats.statuses.deferred).toBeGreaterThan(0)
  })

  it('redis cluster, 3 masters (Lua, Redis TIME)', { timeout: LANE_TIME_MS + 20_000 }, async () => {
    const stats = newStats()
    const t0 = performance.now()
    await lanes(8, 4, () => {
      const store = redisStore(cluster.nodes, { prefix: `cm${process.pid}` })
      stores.push(store)
      return { store, clock: realClock() }
    }, NEVER_TURNS, stats)
    report('redis cluster', stats, performance.now() - t0)
    expectCoverage(stats)
  })
})
