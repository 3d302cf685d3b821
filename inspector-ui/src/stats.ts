import type { AckStat, HistogramBucket, RateBucket } from './types.js'

/** The handler's bucket upper bounds (ms), then `+Inf` (INSPECTOR.md). */
export const LATENCY_BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const

/** Stated wherever a percentile is shown: the server, this UI and the DevTools panel use the same one. */
export const PERCENTILE_NOTE = 'Percentiles: the upper bound of the histogram bucket holding the rank (p50 ≤ 50 ms reads "at most 50 ms"); buckets 1, 2, 5, 10, 20, 50 … 60,000 ms.'

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
 * A percentile read off a per-bucket histogram the one way the server does (metrics.ts): the
 * upper bound of the bucket holding the rank. Infinity when it lies in the open `+Inf` bucket.
 */
export function percentileFromHistogram(histogram: HistogramBucket[], q: number): number | undefined {
  const buckets = [...histogram].sort((a, b) => boundOf(a.le) - boundOf(b.le))
  const total = buckets.reduce((n, b) => n + b.count, 0)
  if (total === 0) return undefined
  const rank = Math.max(1, Math.ceil(Math.min(Math.max(q, 0), 1) * total))
  let seen = 0
  for (const b of buckets) {
    seen += b.count
    if (seen >= rank) return boundOf(b.le)
  }
  return Infinity
}

/** Samples (ms) as a per-bucket histogram over LATENCY_BOUNDS, for percentiles by the same method. */
export function histogramOf(samples: Iterable<number>): HistogramBucket[] {
  const counts = new Array<number>(LATENCY_BOUNDS.length + 1).fill(0)
  for (const ms of samples) {
    let i = LATENCY_BOUNDS.findIndex((b) => ms <= b)
    if (i === -1) i = LATENCY_BOUNDS.length
    counts[i]!++
  }
  return counts.map((count, i) => ({ le: i < LATENCY_BOUNDS.length ? LATENCY_BOUNDS[i]! : '+Inf', count }))
}

/** A percentile for people: `≤ 50 ms`, `> 60 s` beyond the last bound, `–` without data. */
export function formatPercentile(ms: number | null | undefined): string {
  if (ms === undefined) return '–'
  if (ms === null || ms === Infinity) return `> ${formatMs(LATENCY_BOUNDS[LATENCY_BOUNDS.length - 1])}`
  return `≤ ${formatMs(ms)}`
}

/** All acks of the window as one line: counts summed, percentiles off the merged histogram. */
export function summarizeAcks(acks: AckStat[]): { count: number; p50?: number; p95?: number; p99?: number } {
  const count = acks.reduce((n, a) => n + a.count, 0)
  if (count === 0) return { count }
  const merged = mergeHistograms(acks.map((a) => a.histogram))
  if (merged.every((b) => b.count === 0)) {
    // No histogram to read: the busiest event's figures are the best single guess.
    const top = [...acks].sort((a, b) => b.count - a.count)[0]!
    return { count, p50: top.p50 ?? Infinity, p95: top.p95 ?? Infinity, p99: top.p99 ?? Infinity }
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

/** The rate of the last complete bucket (the API lists only complete ones), per second; 0 without data. */
export function latestRate(rates: RateBucket[], bucketSeconds: number): { in: number; out: number; errors: number } {
  if (rates.length === 0) return { in: 0, out: 0, errors: 0 }
  const last = rates.reduce((a, b) => (b.t > a.t ? b : a))
  const per = bucketSeconds > 0 ? bucketSeconds : 1
  return { in: last.in / per, out: last.out / per, errors: (last.errors ?? 0) / per }
}
