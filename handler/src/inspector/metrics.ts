import type { Failure } from '../observer.js'
import type { Store } from '../store/types.js'

/** Histogram bucket upper bounds, ms; the last bucket is +Inf. */
export const BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000]
export const BUCKET_MS = 10_000
const WINDOW_BUCKETS = 30 // five minutes
/** Without a waitUntil, counts are written within a request at most this often. */
const FLUSH_MS = 1000
const KEEP_SECONDS = 600
/** Where latencies of events beyond limits.metricKeys are counted. */
export const OTHER_EVENT = '(other)'
/** A handler failure is counted for at most this many of its session's rooms (bounded writes). */
const MAX_ROOMS_PER_FAILURE = 8
/** A session's last errors, as its detail shows them. */
export const RECENT_ERRORS = 20
/** How many of one session's errors one flush writes (a handler failing in a loop stays cheap). */
const RECENT_PER_FLUSH = 5

/** The one percentile method, stated in every report and used by the UI too. */
export const PERCENTILE_METHOD =
  'upper bound of the histogram bucket holding the rank (so p50 = 50 means "at most 50 ms"); null when the rank lies above the last bound'

export interface AckStats {
  event: string
  direction: 'client' | 'server'
  /** client: time in the server handler; server: emitWithAck to the client's ack arriving (round trip) */
  measures: 'handler time' | 'round trip'
  count: number
  /** of which failed: handler errors and handlers that never called ack (client), no ack in time (server) */
  failed: number
  p50: number | null
  p95: number | null
  p99: number | null
  histogram: { le: number | '+Inf'; count: number }[]
}

export interface ErrorStats {
  kind: Failure['kind']
  code: string
  /** exactly one of event / room / route names what the count is for; none: all of this kind and code */
  event?: string
  room?: string
  route?: string
  /** over the window, the bucket in progress included */
  count: number
  /** per second over the complete buckets of the window */
  rate: number
  /** in the last complete bucket */
  last: number
}

export interface RateBucket {
  t: number
  in: number
  out: number
  errors: number
}

export interface MetricsReport {
  time: number
  bucketSeconds: number
  /** complete buckets only, oldest first: rates read off them never see a bucket still filling */
  rates: RateBucket[]
  /** the bucket in progress, with how much of it has passed */
  current: RateBucket & { elapsedMs: number }
  percentiles: { method: string; bounds: number[] }
  acks: AckStats[]
  errors: ErrorStats[]
}

/**
 * Counts kept in memory per 10-second bucket and added to the store at the end
 * of requests (through the platform's waitUntil, or within the request at most
 * once a second), so the report sums every instance. No timer runs between requests.
 * Fields: `in`, `out`, `a|<direction>|<bucket index>|<event>` for ack latencies, and
 * `f|<kind>|<code>|<scope>|<name>` for failures (scope: '' for the total of a kind and
 * code, `event`, `room` or `route`).
 */
export class Metrics {
  private pending = new Map<number, Record<string, number>>()
  /** per session, its errors since the last flush (oldest first, at most RECENT_PER_FLUSH) */
  private recent = new Map<string, string[]>()
  private flushedAt = 0
  /** the 10 s bucket whose latency keys are counted in `keys`, for limits.metricKeys */
  private keyBucket = -1
  private keys = new Set<string>()

  constructor(
    private readonly store: Store,
    /** distinct latency keys kept per bucket (limits.metricKeys); the rest count under OTHER_EVENT */
    private readonly maxKeys = Infinity,
  ) {}

  count(field: 'in' | 'out', n = 1): void {
    this.add(field, n)
  }

  latency(direction: 'client' | 'server', event: string, ms: number): void {
    let i = BOUNDS.findIndex((b) => ms <= b)
    if (i === -1) i = BOUNDS.length
    let field = `a|${direction}|${i}|${event}`
    // Event names come from clients: a flood of distinct ones must not become a flood of stored fields.
    const bucket = Math.floor(Date.now() / BUCKET_MS)
    if (bucket !== this.keyBucket) {
      this.keyBucket = bucket
      this.keys.clear()
    }
    if (!this.keys.has(field)) {
      if (this.keys.size >= this.maxKeys) field = `a|${direction}|${i}|${OTHER_EVENT}`
      else this.keys.add(field)
    }
    this.add(field, 1)
  }

  failure(f: Failure, at = Date.now()): void {
    const base = `f|${f.kind}|${f.code}|`
    this.add(`${base}|`, 1)
    if (f.event !== undefined) this.add(`${base}event|${f.event}`, 1)
    if (f.route !== undefined) this.add(`${base}route|${f.route}`, 1)
    for (const room of (f.rooms ?? []).slice(0, MAX_ROOMS_PER_FAILURE)) this.add(`${base}room|${room}`, 1)
    if (f.sid) {
      let list = this.recent.get(f.sid)
      if (!list) this.recent.set(f.sid, (list = []))
      if (list.length < RECENT_PER_FLUSH) {
        list.push(JSON.stringify({ at, kind: f.kind, code: f.code, message: f.message, event: f.event }))
      }
    }
  }

  /** Counts are waiting, and (unless eager) the last write was a while ago. */
  due(eager: boolean): boolean {
    return (this.pending.size > 0 || this.recent.size > 0) && (eager || Date.now() - this.flushedAt >= FLUSH_MS)
  }

  async flush(): Promise<void> {
    this.flushedAt = Date.now()
    const batches = [...this.pending]
    const recent = [...this.recent]
    this.pending.clear()
    this.recent.clear()
    await Promise.all([
      ...batches.map(([bucket, counts]) => this.store.addMetrics(String(bucket), counts, KEEP_SECONDS)),
      ...recent.map(([sid, items]) => this.store.pushRecent(`errors:${sid}`, items, RECENT_ERRORS, KEEP_SECONDS)),
    ])
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {})
  }

  /** A session's last errors, newest first. */
  async sessionErrors(sid: string): Promise<{ at: number; kind: string; code: string; message?: string; event?: string }[]> {
    await this.flush()
    return (await this.store.readRecent(`errors:${sid}`)).map((s) => JSON.parse(s))
  }

  async report(now = Date.now()): Promise<MetricsReport> {
    await this.flush()
    const current = Math.floor(now / BUCKET_MS)
    // The window: WINDOW_BUCKETS complete buckets, then the one in progress.
    const buckets = Array.from({ length: WINDOW_BUCKETS + 1 }, (_, i) => current - WINDOW_BUCKETS + i)
    const rows = await this.store.readMetrics(buckets.map(String))
    const acks = new Map<string, number[]>()
    const failures = new Map<string, { count: number; complete: number; last: number }>()
    const series = rows.map((row, i) => {
      const complete = i < WINDOW_BUCKETS
      let errors = 0
      for (const [field, n] of Object.entries(row)) {
        if (field.startsWith('a|')) {
          const [, direction, index, ...event] = field.split('|')
          const key = `${direction}|${event.join('|')}`
          let counts = acks.get(key)
          if (!counts) acks.set(key, (counts = new Array(BOUNDS.length + 1).fill(0)))
          counts[Number(index)] += n
        } else if (field.startsWith('f|')) {
          let f = failures.get(field)
          if (!f) failures.set(field, (f = { count: 0, complete: 0, last: 0 }))
          f.count += n
          if (complete) f.complete += n
          if (i === WINDOW_BUCKETS - 1) f.last += n
          if (field.endsWith('||')) errors += n
        }
      }
      return { t: buckets[i]! * BUCKET_MS, in: row.in ?? 0, out: row.out ?? 0, errors }
    })
    const windowSeconds = (WINDOW_BUCKETS * BUCKET_MS) / 1000
    const errors: ErrorStats[] = [...failures].map(([field, f]) => {
      const [, kind, code, scope, ...name] = field.split('|')
      const stat: ErrorStats = { kind: kind as Failure['kind'], code: code!, count: f.count, rate: f.complete / windowSeconds, last: f.last }
      if (scope === 'event' || scope === 'room' || scope === 'route') stat[scope] = name.join('|')
      return stat
    })
    const failedOf = (direction: string, event: string) =>
      errors
        .filter((e) => e.event === event && (direction === 'server' ? e.kind === 'ack-timeout' : e.kind === 'handler' || e.kind === 'handler-timeout'))
        .reduce((sum, e) => sum + e.count, 0)
    // An event whose acks all failed still gets its line (server acks that time out have no latency).
    for (const e of errors) {
      if (e.event === undefined || e.kind === 'refused') continue
      const key = `${e.kind === 'ack-timeout' ? 'server' : 'client'}|${e.event}`
      if (!acks.has(key)) acks.set(key, new Array(BOUNDS.length + 1).fill(0))
    }
    const inProgress = series[WINDOW_BUCKETS]!
    return {
      time: now,
      bucketSeconds: BUCKET_MS / 1000,
      rates: series.slice(0, WINDOW_BUCKETS),
      current: { ...inProgress, elapsedMs: now - inProgress.t },
      percentiles: { method: PERCENTILE_METHOD, bounds: BOUNDS },
      acks: [...acks].map(([key, counts]) => {
        const [direction, ...event] = key.split('|')
        const name = event.join('|')
        return ackStats(name, direction as 'client' | 'server', counts, failedOf(direction!, name))
      }),
      errors,
    }
  }

  private add(field: string, n: number): void {
    const bucket = Math.floor(Date.now() / BUCKET_MS)
    let counts = this.pending.get(bucket)
    if (!counts) this.pending.set(bucket, (counts = {}))
    counts[field] = (counts[field] ?? 0) + n
  }
}

/** Percentiles read off a histogram by PERCENTILE_METHOD. */
export function ackStats(event: string, direction: 'client' | 'server', counts: number[], failed = 0): AckStats {
  const total = counts.reduce((a, b) => a + b, 0)
  const at = (p: number): number | null => {
    if (total === 0) return null
    const rank = Math.max(1, Math.ceil(p * total))
    let seen = 0
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!
      if (seen >= rank) return i < BOUNDS.length ? BOUNDS[i]! : null
    }
    return null
  }
  return {
    event,
    direction,
    measures: direction === 'client' ? 'handler time' : 'round trip',
    count: total,
    failed,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    histogram: counts.map((count, i) => ({ le: i < BOUNDS.length ? BOUNDS[i]! : ('+Inf' as const), count })),
  }
}
