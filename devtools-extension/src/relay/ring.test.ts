import { describe, expect, it } from 'vitest'
import { Ring } from './ring.js'

describe('ring', () => {
  it('keeps the newest items by absolute position, evicting the oldest', () => {
    const r = new Ring<number>(3)
    for (let i = 0; i < 5; i++) r.push(i)
    expect([r.first, r.total, r.size]).toEqual([2, 5, 3])
    expect(r.toArray()).toEqual([2, 3, 4])
    expect([r.at(1), r.at(2), r.at(4), r.at(5)]).toEqual([undefined, 2, 4, undefined])
    expect(r.last()).toBe(4)
  })

  it('clears without resetting positions', () => {
    const r = new Ring<number>(3)
    r.push(1)
    r.push(2)
    r.clear()
    expect([r.first, r.total, r.size]).toEqual([2, 2, 0])
    r.push(3)
    expect(r.at(2)).toBe(3)
    expect(r.toArray()).toEqual([3])
  })
})
