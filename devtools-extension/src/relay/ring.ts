/**
 * A fixed-capacity ring of the newest items, addressed by absolute position (0 = the first item ever
 * pushed): a position stays valid until its item is evicted, so a filter's index or a scrolled
 * list's anchor survives new items arriving. Push is O(1); nothing is copied when the ring is full.
 */
export class Ring<T> {
  private readonly items: (T | undefined)[]
  private head = 0
  private count = 0
  private pushed = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1')
    this.items = new Array<T | undefined>(capacity)
  }

  /** items ever pushed (the next item's position) */
  get total(): number {
    return this.pushed
  }

  /** position of the oldest item held */
  get first(): number {
    return this.pushed - this.count
  }

  get size(): number {
    return this.count
  }

  push(item: T): void {
    this.items[(this.head + this.count) % this.capacity] = item
    if (this.count < this.capacity) this.count++
    else this.head = (this.head + 1) % this.capacity
    this.pushed++
  }

  /** the item at an absolute position, or undefined once evicted (or not pushed yet) */
  at(position: number): T | undefined {
    if (position < this.first || position >= this.pushed) return undefined
    return this.items[(this.head + position - this.first) % this.capacity]
  }

  /** the newest item */
  last(): T | undefined {
    return this.at(this.pushed - 1)
  }

  /** forgets every item; positions keep counting (a filter's index sees them all evicted) */
  clear(): void {
    this.items.fill(undefined)
    this.head = 0
    this.count = 0
  }

  toArray(): T[] {
    const out: T[] = []
    for (let p = this.first; p < this.pushed; p++) out.push(this.at(p)!)
    return out
  }
}
