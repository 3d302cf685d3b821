import type { FrameRow } from '../relay/page-model.js'
import type { Ring } from '../relay/ring.js'

export type Direction = 'all' | 'in' | 'out'

export interface FrameQuery {
  /** a part of the event name, any case */
  text: string
  direction: Direction
  control: boolean
}

export const ALL_FRAMES: FrameQuery = { text: '', direction: 'all', control: true }

/** Rows a filter checks per step (one step per rendered frame): a few ms at most. */
export const SCAN_BUDGET = 4000

/**
 * The frame list's view of the model's ring: everything when no filter is set (no work at all),
 * else the positions of the matching rows, found incrementally. A new query starts over from the
 * oldest row and each `step` checks at most `budget` rows, so typing a filter over 10,000 rows at
 * 1,000 frames/s never blocks a frame; `pending` says how far behind the index is.
 */
export class FrameIndex {
  private query: FrameQuery = ALL_FRAMES
  private needle = ''
  /** ascending ring positions of matching rows */
  private matches: number[] = []
  /** the next ring position to check */
  private scanned = 0

  constructor(private readonly ring: Ring<FrameRow>) {}

  /** Sets the filter; a changed one is re-scanned from the oldest row held, a step at a time. */
  setQuery(query: FrameQuery): void {
    const q = this.query
    if (q.text === query.text && q.direction === query.direction && q.control === query.control) return
    this.query = { ...query }
    this.needle = query.text.trim().toLowerCase()
    this.matches = []
    this.scanned = this.ring.first
  }

  /** true when every row passes: the ring is the view, nothing to index */
  get unfiltered(): boolean {
    return !this.needle && this.query.direction === 'all' && this.query.control
  }

  /** Checks at most `budget` new rows and forgets evicted ones; true once caught up. */
  step(budget = SCAN_BUDGET): boolean {
    const first = this.ring.first
    if (this.unfiltered) {
      this.scanned = this.ring.total
      return true
    }
    if (this.scanned < first) this.scanned = first
    const end = Math.min(this.ring.total, this.scanned + budget)
    for (; this.scanned < end; this.scanned++) if (this.matches_(this.ring.at(this.scanned)!)) this.matches.push(this.scanned)
    let cut = 0
    while (cut < this.matches.length && this.matches[cut]! < first) cut++
    if (cut) this.matches.splice(0, cut)
    return this.scanned >= this.ring.total
  }

  /** rows not checked yet (0 when caught up or unfiltered) */
  get pending(): number {
    return this.unfiltered ? 0 : Math.max(0, this.ring.total - Math.max(this.scanned, this.ring.first))
  }

  /** rows in the view */
  get length(): number {
    return this.unfiltered ? this.ring.size : this.matches.length
  }

  /** the ring position of the view's i-th row */
  positionAt(i: number): number | undefined {
    if (this.unfiltered) return i >= 0 && i < this.ring.size ? this.ring.first + i : undefined
    return this.matches[i]
  }

  row(i: number): FrameRow | undefined {
    const p = this.positionAt(i)
    return p === undefined ? undefined : this.ring.at(p)
  }

  /** the view index of the first row at or after ring position `position` (a scrolled list's anchor) */
  indexOf(position: number): number {
    if (this.unfiltered) return Math.max(0, position - this.ring.first)
    let lo = 0
    let hi = this.matches.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.matches[mid]! < position) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private matches_(f: FrameRow): boolean {
    const q = this.query
    return (q.direction === 'all' || f.direction === q.direction) && (q.control || !f.control) && (!this.needle || f.event.toLowerCase().includes(this.needle))
  }
}
