import type { AckStat, HistogramBucket, RateBucket } from './types.js'

/** The handler's bucket upper bounds (ms), then `+Inf`. */
export const LATENCY_BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const

const boundOf = (le: HistogramBucket['le']): number => (le === '+Inf' ? Infinity : le)

/** Adds per-bucket histograms (not cumulative) bucket by bucket, by upper bound. */
export function mergeHistograms(histograms: HistogramBucket[][]): HistogramBucket[] {
  const counts = new Map<number, number>()
  for (const h of histograms) for (const b of h) counts.set(boundOf(b.le), (counts.get(boundOf(b.le)) ?? 0) + b.count)
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([le, count]) => ({ le: le === Infinity ? '+Inf' : le, count }))
}

/**
 * A percentile read off a per-bucket histogram, interpolating linearly inside the bucket (the
 * way Prometheus' histogram_quantile does). The open `+Inf` bucket answers its lower bound.
 */
export function percentileFromHistogram(histogram: HistogramBucket[], q: number): number | undefined {
  const buckets = [...histogram].sort((a, b) => boundOf(a.le) - boundOf(b.le))
  const total = buckets.reduce((n, b) => n + b.count, 0)
  if (total === 0) return undefined
  const rank = Math.min(Math.max(q, 0), 1) * total
  let seen = 0
  let lower = 0
  for (const b of buckets) {
    const upper = boundOf(b.le)
    if (b.count > 0 && seen + b.count >= rank) {
      if (upper === Infinity) return lower
      return lower + (upper - lower) * ((rank - seen) / b.count)
    }
    seen += b.count
    if (upper !== Infinity) lower = upper
  }
  return lower
}

/** All acks of the window as one line: counts summed, percentiles off the merged histogram. */
export function summarizeAcks(acks: AckStat[]): { count: number; p50?: number; p95?: number; p99?: number } {
  const count = acks.reduce((n, a) => n + a.count, 0)
  if (count === 0) return { count }
  const merged = mergeHistograms(acks.map((a) => a.histogram))
  if (merged.every((b) => b.count === 0)) {
    // No histogram to read: the busiest event's figures are the best single guess.
    const top = [...acks].sort((a, b) => b.count - a.count)[0]!
    return { count, p50: top.p50, p95: top.p95, p99: top.p99 }
  }
  return {
    count,
    p50: percentileFromHistogram(merged, 0.5),
    p95: percentileFromHistogram(merged, 0.95),
    p99: percentileFromHistogram(merged, 0.99),
  }
}

/** Bucket labels for a histogram chart: `≤1 ms`, `≤2 ms`, ..., `>5 s`. */
export function histogramLabels(histogram: HistogramBucket[]): string[] {
  let previous = 0
  return histogram.map((b) => {
    if (b.le === '+Inf') return `>${formatMs(previous)}`
    previous = b.le
    return `≤${formatMs(b.le)}`
  })
}

/** Latency in ms for people: `0.42 ms`, `3.1 ms`, `48 ms`, `1.2 s`. */
export function formatMs(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '–'
  if (ms >= 1000) return `${trim(ms / 1000, ms >= 10_000 ? 0 : 1)} s`
  if (ms >= 10) return `${Math.round(ms)} ms`
  if (ms >= 1) return `${trim(ms, 1)} ms`
  return `${trim(ms, 2)} ms`
}

function trim(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)))
}

/** Compact counts: 950, 1.2k, 34k, 1.5M. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–'
  const abs = Math.abs(n)
  if (abs < 1000) return String(Math.round(n))
  if (abs < 10_000) return `${trim(n / 1000, 1)}k`
  if (abs < 1_000_000) return `${Math.round(n / 1000)}k`
  return `${trim(n / 1_000_000, 1)}M`
}

/** How long ago, compactly: `now`, `12s`, `5m`, `3h`, `2d`. */
export function formatAgo(at: number | undefined, now: number): string {
  if (at === undefined || !Number.isFinite(at)) return '–'
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 2) return 'now'
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86_400)}d`
}

/** Clock time `14:03:07.123` of a feed event. */
export function formatClock(at: number): string {
  const d = new Date(at)
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** Rate buckets (totals per bucket) as per-second series for the chart: [times (s), in/s, out/s]. */
export function rateSeries(rates: RateBucket[], bucketSeconds: number): [number[], number[], number[]] {
  const sorted = [...rates].sort((a, b) => a.t - b.t)
  const per = bucketSeconds > 0 ? bucketSeconds : 1
  return [
    sorted.map((r) => r.t / 1000),
    sorted.map((r) => r.in / per),
    sorted.map((r) => r.out / per),
  ]
}

/** The latest complete-ish rate: the last bucket's messages per second (0 without data). */
export function latestRate(rates: RateBucket[], bucketSeconds: number): { in: number; out: number } {
  if (rates.length === 0) return { in: 0, out: 0 }
  const last = rates.reduce((a, b) => (b.t > a.t ? b : a))
  const per = bucketSeconds > 0 ? bucketSeconds : 1
  return { in: last.in / per, out: last.out / per }
}
