import { describe, expect, it } from 'vitest'
import { TokenThrottle } from './throttle.js'

describe('TokenThrottle', () => {
  it('lets an address fail perAddress times per window, then makes it wait out the window', () => {
    const t = new TokenThrottle({ perAddress: 3, total: 100, windowMs: 1000 })
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfter('a', 10)).toBe(0)
      t.failed('a', 10)
    }
    expect(t.retryAfter('a', 10)).toBe(1000)
    expect(t.retryAfter('a', 510)).toBe(500)
    expect(t.retryAfter('b', 510)).toBe(0)
    expect(t.retryAfter('a', 1010)).toBe(0)
  })

  it('stops everyone once all addresses together failed `total` times', () => {
    const t = new TokenThrottle({ perAddress: 10, total: 20, windowMs: 1000 })
    for (let i = 0; i < 20; i++) t.failed(`addr${i}`, 0)
    expect(t.retryAfter('fresh', 1)).toBe(999)
    expect(t.retryAfter(undefined, 1)).toBe(999)
    expect(t.retryAfter('fresh', 1000)).toBe(0)
  })

  it('tracks at most maxAddresses addresses, however many fail', () => {
    const t = new TokenThrottle({ perAddress: 5, total: 1e9, windowMs: 60_000, maxAddresses: 100 })
    let peak = 0
    for (let i = 0; i < 100_000; i++) {
      t.failed(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i)
      peak = Math.max(peak, t.size)
    }
    expect(peak).toBeLessThanOrEqual(100)
  })
})
