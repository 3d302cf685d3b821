import { frameEntry } from '../protocol/wire.js'

/**
 * The client's position in each server log. Frames are delivered at least
 * once; this is where they become exactly-once: a frame whose seq is not above
 * the position of its log (the first entry of its id) was already dispatched.
 */
export class CursorTracker {
  /** per log key (opaque: `d`, `*`, a room tag), the seq of the last frame dispatched */
  readonly positions = new Map<string, number>()
  /** id of the last frame dispatched: the server's whole cursor after it */
  private last = ''

  /** Returns false for a duplicate, which the caller drops. Frames without a well-formed id always pass. */
  accept(id: string | undefined): boolean {
    const entry = id ? frameEntry(id) : undefined
    if (!entry) return true
    const [key, seq] = entry
    const seen = this.positions.get(key)
    if (seen !== undefined && seq <= seen) return false
    this.positions.set(key, seq)
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
    this.last = ''
  }
}
