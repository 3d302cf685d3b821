/**
 * The memory store's live index in order of entry, with its n-th member found in O(log n): the
 * inspector pages through 100,000 sessions by offset (from either end), and a walk of the whole
 * index per page would cost the chat traffic beside it. Slots are appended; a removed member
 * leaves a hole, counted out of a Fenwick tree over the slots, and holes are compacted away
 * once they outnumber the members (amortised O(1) per removal).
 */
export class LiveOrder {
  private slots: (string | undefined)[] = []
  private at = new Map<string, number>()
  /** Fenwick tree (1-based) over slots: 1 for a member, 0 for a hole */
  private tree = new Int32Array(1024)

  get size(): number {
    return this.at.size
  }

  add(sid: string): void {
    if (this.at.has(sid)) return
    if (this.slots.length + 1 >= this.tree.length) this.rebuild(Math.max(1024, 2 * (this.at.size + 1)))
    const i = this.slots.length
    this.slots.push(sid)
    this.at.set(sid, i)
    this.bump(i, 1)
  }

  delete(sid: string): void {
    const i = this.at.get(sid)
    if (i === undefined) return
    this.at.delete(sid)
    this.slots[i] = undefined
    this.bump(i, -1)
    const holes = this.slots.length - this.at.size
    if (holes > 1024 && holes > this.at.size) this.rebuild(Math.max(1024, 2 * (this.at.size + 1)))
  }

  /** Members `offset` .. `offset + limit - 1`, in order of entry. */
  slice(offset: number, limit: number): string[] {
    const out: string[] = []
    if (limit <= 0 || offset >= this.at.size) return out
    for (let i = this.select(Math.max(0, offset)); i < this.slots.length && out.length < limit; i++) {
      const sid = this.slots[i]
      if (sid !== undefined) out.push(sid)
    }
    return out
  }

  /** The slot of the member with `rank` members before it (binary lifting down the tree). */
  private select(rank: number): number {
    let pos = 0
    let left = rank
    for (let step = highestBit(this.tree.length - 1); step > 0; step >>= 1) {
      const next = pos + step
      if (next < this.tree.length && this.tree[next]! <= left) {
        pos = next
        left -= this.tree[next]!
      }
    }
    return pos // 1-based pos of the last slot with `rank` members up to it = 0-based slot of the next
  }

  private bump(slot: number, by: number): void {
    for (let i = slot + 1; i < this.tree.length; i += i & -i) this.tree[i]! += by
  }

  /** Drops the holes and sizes the tree for `capacity` slots. */
  private rebuild(capacity: number): void {
    const members = this.slots.filter((s): s is string => s !== undefined)
    this.slots = members
    this.at.clear()
    let size = 1024
    while (size <= capacity) size *= 2
    this.tree = new Int32Array(size)
    members.forEach((sid, i) => {
      this.at.set(sid, i)
      this.tree[i + 1] = 1
    })
    // Linear build: each node passes its sum to its parent.
    for (let i = 1; i < size; i++) {
      const parent = i + (i & -i)
      if (parent < size) this.tree[parent]! += this.tree[i]!
    }
  }
}

function highestBit(n: number): number {
  let b = 1
  while (b * 2 <= n) b *= 2
  return b
}
