import type { FeedBounds, FeedEntry } from './types.js'

/** `<ms>-<n>` ids compared as Redis stream ids are: by time, then by sequence. */
export function compareFeedIds(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('-').map(Number)
  const [bm = 0, bn = 0] = b.split('-').map(Number)
  return am - bm || an - bn
}

/**
 * The memory store's feed history: what a capped Redis stream does, in an array trimmed on every
 * append (by count and by age), so it never holds more than `bounds` allows.
 */
export class FeedRing {
  private entries: { id: string; at: number; data: string }[] = []
  private lastMs = 0
  private seq = 0

  append(data: string, bounds: FeedBounds, now = Date.now()): void {
    // Ids only grow, as a stream's do, even if the clock steps back.
    if (now > this.lastMs) {
      this.lastMs = now
      this.seq = 0
    } else this.seq++
    this.entries.push({ id: `${this.lastMs}-${this.seq}`, at: now, data })
    this.trim(bounds, now)
  }

  before(through: string | undefined, limit: number): FeedEntry[] {
    const out: FeedEntry[] = []
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i]!
      if (through === undefined || compareFeedIds(e.id, through) <= 0) out.push({ id: e.id, data: e.data })
    }
    return out
  }

  after(after: string, limit: number): FeedEntry[] {
    const out: FeedEntry[] = []
    for (const e of this.entries) {
      if (out.length >= limit) break
      if (compareFeedIds(e.id, after) > 0) out.push({ id: e.id, data: e.data })
    }
    return out
  }

  private trim(bounds: FeedBounds, now: number): void {
    let drop = Math.max(0, this.entries.length - bounds.maxEntries)
    while (drop < this.entries.length && this.entries[drop]!.at < now - bounds.keepMs) drop++
    if (drop > 0) this.entries.splice(0, drop)
  }
}
