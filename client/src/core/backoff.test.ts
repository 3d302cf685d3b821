import { describe, expect, it } from 'vitest'
import { backoffDelay, parseRetryAfter } from './backoff.js'

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(max, base * 2^attempt))', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const cap = Math.min(5000, 1000 * 2 ** attempt)
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, 1000, 5000)
        expect(d).toBeGreaterThanOrEqual(0)
        expect(d).toBeLessThan(cap)
      }
    }
  })

  it('uses the random source across the whole window', () => {
    expect(backoffDelay(0, 1000, 5000, () => 0)).toBe(0)
    expect(backoffDelay(0, 1000, 5000, () => 0.999999)).toBe(999)
    expect(backoffDelay(2, 1000, 5000, () => 0.5)).toBe(2000)
    expect(backoffDelay(3, 1000, 5000, () => 0.5)).toBe(2500) // capped at 5000
  })

  it('does not overflow for huge attempts', () => {
    expect(backoffDelay(5000, 1000, 5000, () => 0.5)).toBe(2500)
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3)
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter('soon')).toBeUndefined()
    const now = Date.parse('2024-01-01T00:00:00Z')
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10)
  })
})
