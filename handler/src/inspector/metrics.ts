import type { Store } from '../store/types.js'

/** Histogram bucket upper bounds, ms; the last bucket is +Inf. */
export const BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
export const BUCKET_MS = 10_000
const WINDOW_BUCKETS = 30 // five minutes
/** Without a waitUntil, counts are written within a request at most this often. */
const FLUSH_MS = 1000
const KEEP_SECONDS = 600
/** Where latencies of events beyond limits.metricKeys are counted. */
export const OTHER_EVENT = '(other)'

export interface AckStats {
  event: string
  direction: 'client' | 'server'
  count: number
  p50: number
  p95: number
  p99: number
  histogram: { le: number | '+Inf'; count: number }[]
}

export interface MetricsReport {
  time: number
  bucketSeconds: number
  rates: { t: number; in: number; out: number }[]
  acks: AckStats[]
}

/**
 * Counts kept in memory per 10-second bucket and added to the store at the end
 * of requests (through the platform's waitUntil, or within the request at most
 * once a second), so the report sums every instance. No timer runs between requests. Fields: `in`, `out`, and
 * `a|<direction>|<bucket index>|<event>` for ack latencies.
 */
export class Metrics {
  private pending = new Map<number, Record<string, number>>()
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

  /** Counts are waiting, and (unless eager) the last write was a while ago. */
  due(eager: boolean): boolean {
    return this.pending.size > 0 && (eager || Date.now() - this.flushedAt >= FLUSH_MS)
  }

  async flush(): Promise<void> {
    this.flushedAt = Date.now()
    const batches = [...this.pending]
    this.pending.clear()
    await Promise.all(batches.map(([bucket, counts]) => this.store.addMetrics(String(bucket), counts, KEEP_SECONDS)))
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {})
  }

  async report(now = Date.now()): Promise<MetricsReport> {
    await this.flush()
    const last = Math.floor(now / BUCKET_MS)
    const buckets = Array.from({ length: WINDOW_BUCKETS }, (_, i) => last - WINDOW_BUCKETS + 1 + i)
    const rows = await this.store.readMetrics(buckets.map(String))
    const acks = new Map<string, number[]>()
    const rates = rows.map((row, i) => {
      for (const [field, n] of Object.entries(row)) {
        if (!field.startsWith('a|')) continue
        const [, direction, index, ...event] = field.split('|')
        const key = `${direction}|${event.join('|')}`
        let counts = acks.get(key)
        if (!counts) acks.set(key, (counts = new Array(BOUNDS.length + 1).fill(0)))
        counts[Number(index)] += n
      }
      return { t: buckets[i]! * BUCKET_MS, in: row.in ?? 0, out: row.out ?? 0 }
    })
    return {
      time: now,
      bucketSeconds: BUCKET_MS / 1000,
      rates,
      acks: [...acks].map(([key, counts]) => {
        const [direction, ...event] = key.split('|')
        return ackStats(event.join('|'), direction as 'client' | 'server', counts)
      }),
    }
  }

  private add(field: string, n: number): void {
    const bucket = Math.floor(Date.now() / BUCKET_MS)
    let counts = this.pending.get(bucket)
    if (!counts) this.pending.set(bucket, (counts = {}))
    counts[field] = (counts[field] ?? 0) + n
  }
}

/** Percentiles read off a histogram: the upper bound of the bucket holding the rank. */
export function ackStats(event: string, direction: 'client' | 'server', counts: number[]): AckStats {
  const total = counts.reduce((a, b) => a + b, 0)
  const at = (p: number) => {
    const rank = Math.max(1, Math.ceil(p * total))
    let seen = 0
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!
      if (seen >= rank) return i < BOUNDS.length ? BOUNDS[i]! : BOUNDS[BOUNDS.length - 1]! * 2
    }
    return 0
  }
  return {
    event,
    direction,
    count: total,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    histogram: counts.map((count, i) => ({ le: i < BOUNDS.length ? BOUNDS[i]! : ('+Inf' as const), count })),
  }
}
