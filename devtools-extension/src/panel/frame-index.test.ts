import { describe, expect, it } from 'vitest'
import type { FrameRow } from '../relay/page-model.js'
import { Ring } from '../relay/ring.js'
import { FrameIndex } from './frame-index.js'

const row = (seq: number, event: string, direction: 'in' | 'out' = 'in', control = false): FrameRow => ({
  key: String(seq),
  seq,
  socket: 1,
  time: seq,
  direction,
  event,
  control,
  bytes: 1,
})

describe('frame index', () => {
  it('is the ring itself when nothing is filtered', () => {
    const ring = new Ring<FrameRow>(4)
    for (let i = 0; i < 6; i++) ring.push(row(i, 'a'))
    const index = new FrameIndex(ring)
    expect(index.step()).toBe(true)
    expect(index.length).toBe(4)
    expect(index.row(0)!.seq).toBe(2)
    expect(index.indexOf(4)).toBe(2)
  })

  it('filters with bounded work per step, follows new rows and forgets evicted ones', () => {
    const ring = new Ring<FrameRow>(1000)
    for (let i = 0; i < 1000; i++) ring.push(row(i, i % 10 === 0 ? 'Chat' : 'tick', i % 2 ? 'out' : 'in'))
    const index = new FrameIndex(ring)
    index.setQuery({ text: 'chat', direction: 'all', control: true })
    expect(index.step(300)).toBe(false)
    expect(index.length).toBe(30)
    expect(index.pending).toBe(700)
    while (!index.step(300));
    expect(index.length).toBe(100)
    // 500 more rows arrive: the oldest 500 are evicted
    for (let i = 1000; i < 1500; i++) ring.push(row(i, i % 10 === 0 ? 'chat' : 'tick'))
    while (!index.step(300));
    expect(index.length).toBe(100)
    expect(index.row(0)!.seq).toBe(500)
    expect(index.row(99)!.seq).toBe(1490)
    expect(index.indexOf(1001)).toBe(51) // the first match at or after position 1001 is 1010
    index.setQuery({ text: '', direction: 'out', control: true })
    while (!index.step());
    expect(index.length).toBe(250) // odd positions of 500..999 (1000..1499 are all 'in')
  })

  it('hides control frames on request', () => {
    const ring = new Ring<FrameRow>(10)
    ring.push(row(1, '[open]', 'in', true))
    ring.push(row(2, 'a'))
    const index = new FrameIndex(ring)
    index.setQuery({ text: '', direction: 'all', control: false })
    index.step()
    expect(index.length).toBe(1)
    expect(index.row(0)!.event).toBe('a')
  })
})
