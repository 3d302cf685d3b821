import { describe, expect, it } from 'vitest'
import {
  formatAgo,
  formatCount,
  formatMs,
  histogramLabels,
  latestRate,
  mergeHistograms,
  percentileFromHistogram,
  formatPercentile,
  histogramOf,
  rateSeries,
  summarizeAcks,
} from './stats.js'
import type { AckStat, HistogramBucket } from './types.js'

const h = (counts: number[]): HistogramBucket[] => {
  const bounds: HistogramBucket['le'][] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, '+Inf']
  return bounds.map((le, i) => ({ le, count: counts[i] ?? 0 }))
}

describe('percentileFromHistogram (the server\'s method: upper bound of the bucket holding the rank)', () => {
  it('answers the bound of the bucket holding the rank, as the server does', () => {
    // 40 in (0,1], 60 in (1,2]: the 50th of 100 lies in (1,2]
    expect(percentileFromHistogram(h([40, 60]), 0.5)).toBe(2)
    expect(percentileFromHistogram(h([40, 60]), 0.4)).toBe(1)
    expect(percentileFromHistogram(h([40, 60]), 1)).toBe(2)
    // one event with acks between 20 and 50 ms: 50 here, 50 on the server (it read 25 interpolated)
    expect(percentileFromHistogram(h([0, 0, 0, 0, 0, 10]), 0.5)).toBe(50)
  })

  it('answers Infinity for the open +Inf bucket (shown as "> 60 s"), undefined when empty', () => {
    expect(percentileFromHistogram(h([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9]), 0.99)).toBe(Infinity)
    expect(formatPercentile(Infinity)).toBe('> 60 s')
    expect(formatPercentile(null)).toBe('> 60 s')
    expect(formatPercentile(7)).toBe('≤ 7 ms')
    expect(percentileFromHistogram(h([]), 0.5)).toBeUndefined()
  })

  it('histograms samples over the same bounds: a 7 s sample reads ≤ 10 s, not "10 s" for anything over 5 s', () => {
    expect(percentileFromHistogram(histogramOf([7000]), 0.5)).toBe(10_000)
    expect(percentileFromHistogram(histogramOf([20_000]), 0.5)).toBe(30_000)
    expect(percentileFromHistogram(histogramOf([0.4, 0.6, 3]), 0.5)).toBe(1)
  })

  it('does not depend on bucket order', () => {
    const sorted = h([5, 10, 20, 5])
    expect(percentileFromHistogram([...sorted].reverse(), 0.95)).toBeCloseTo(percentileFromHistogram(sorted, 0.95)!)
  })
})

describe('mergeHistograms and summarizeAcks', () => {
  it('adds per-bucket counts by bound', () => {
    const merged = mergeHistograms([h([1, 2]), h([3, 0, 4])])
    expect(merged.slice(0, 3)).toEqual([
      { le: 1, count: 4 },
      { le: 2, count: 2 },
      { le: 5, count: 4 },
    ])
    expect(merged.at(-1)).toEqual({ le: '+Inf', count: 0 })
  })

  it('summarises all events off the merged histogram', () => {
    const acks: AckStat[] = [
      { event: 'a', direction: 'client', count: 50, p50: 0.5, p95: 1, p99: 1, histogram: h([50]) },
      { event: 'b', direction: 'server', count: 50, p50: 1.5, p95: 2, p99: 2, histogram: h([0, 50]) },
    ]
    const s = summarizeAcks(acks)
    expect(s.count).toBe(100)
    expect(s.p50).toBe(1)
    expect(s.p99).toBe(2)
    expect(summarizeAcks([])).toEqual({ count: 0 })
  })
})

describe('formatting', () => {
  it('labels histogram buckets', () => {
    expect(histogramLabels([{ le: 1, count: 0 }, { le: 1000, count: 0 }, { le: '+Inf', count: 0 }])).toEqual(['≤1 ms', '≤1 s', '>1 s'])
  })

  it('formats latencies, counts and ages', () => {
    expect([formatMs(0.423), formatMs(3.14), formatMs(48.4), formatMs(1234), formatMs(12_345), formatMs(undefined)]).toEqual([
      '0.42 ms',
      '3.1 ms',
      '48 ms',
      '1.2 s',
      '12 s',
      '–',
    ])
    expect([formatCount(950), formatCount(1234), formatCount(34_567), formatCount(1_500_000)]).toEqual(['950', '1.2k', '35k', '1.5M'])
    expect([formatAgo(1000, 1500), formatAgo(0, 12_000), formatAgo(0, 300_000), formatAgo(0, 7_200_000), formatAgo(undefined, 0)]).toEqual([
      'now',
      '12s',
      '5m',
      '2h',
      '–',
    ])
  })

  it('turns rate buckets into per-second series, oldest first', () => {
    const rates = [
      { t: 20_000, in: 20, out: 40 },
      { t: 10_000, in: 10, out: 100 },
    ]
    expect(rateSeries(rates, 10)).toEqual([[10, 20], [1, 2], [10, 4]])
    expect(latestRate(rates, 10)).toEqual({ in: 2, out: 4, errors: 0 })
    expect(latestRate([], 10)).toEqual({ in: 0, out: 0, errors: 0 })
  })
})

describe('polling cost', () => {
  it('waits at least five times the last refresh: a 1.1 s snapshot is read every 5.5 s, not every 2 s', async () => {
    const { nextPollDelay } = await import('./use-inspector.js')
    expect(nextPollDelay(2000, 50)).toBe(2000)
    expect(nextPollDelay(2000, 1100)).toBe(5500)
  })
})
