import { frameEntry } from '../protocol/wire.js'

/**
 * The client's position in each server log. Frames are delivered at least
 * once; this is where they become exactly-once: a frame whose seq is not above
 * the position of its log (the first entry of its id) was already dispatched,
 * unless its epoch differs (the server's log started again: the server reports that gap).
 */
export class CursorTracker {
  /** per log key (opaque: `d`, `*`, a room tag), the seq of the last frame dispatched */
  readonly positions = new Map<string, number>()
  /** per log key, the epoch of that position: a frame of another epoch is of a log that started again */
  private readonly epochs = new Map<string, string>()
  /** id of the last frame dispatched: the server's whole cursor after it */
  private last = ''

  /** Returns false for a duplicate, which the caller drops. Frames without a well-formed id always pass. */
  accept(id: string | undefined): boolean {
    const entry = id ? frameEntry(id) : undefined
    if (!entry) return true
    const [key, seq, epoch] = entry
    const seen = this.positions.get(key)
    const known = this.epochs.get(key)
    const sameLog = !epoch || !known || epoch === known
    if (seen !== undefined && seq <= seen && sameLog) return false
    this.positions.set(key, seq)
    if (epoch) this.epochs.set(key, epoch)
    this.last = id!
    return true
  }

  /**
   * The Last-Event-ID for the next stream or poll; empty when nothing was
   * received yet. Every frame of a log before the last one dispatched came
   * earlier on the same response, so its id covers every log.
   */
  header(): string {
    return this.last
  }

  clear(): void {
    this.positions.clear()
    this.epochs.clear()
    this.last = ''
  }
}
