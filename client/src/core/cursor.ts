import { encodeCursor, type Cursor } from '../protocol/wire.js'

/**
 * The client's position in each server log (`d`, `r:<room>`). Frames are
 * delivered at least once; this is where they become exactly-once: a frame
 * whose sequence is not above the cursor for its log was already dispatched.
 */
export class CursorTracker {
  readonly positions: Cursor = new Map()

  /**
   * Records a frame's SSE id (`<uri-encoded key>=<seq>`). Returns false for a
   * duplicate, which the caller drops. Frames without a well-formed id are not
   * tracked and always pass.
   */
  private lastRaw = ''
  private lastKey = ''

  accept(id: string | undefined): boolean {
    if (!id) return true
    const eq = id.lastIndexOf('=')
    if (eq <= 0) return true
    const seq = Number(id.slice(eq + 1))
    if (!Number.isSafeInteger(seq) || seq < 0) return true
    const raw = id.slice(0, eq)
    let key: string
    if (raw === this.lastRaw) {
      key = this.lastKey // frames of one log come in runs: decode its name once
    } else {
      try {
        key = decodeURIComponent(raw)
      } catch {
        return true
      }
      this.lastRaw = raw
      this.lastKey = key
    }
    const seen = this.positions.get(key)
    if (seen !== undefined && seq <= seen) return false
    this.positions.set(key, seq)
    return true
  }

  /** The Last-Event-ID value for the next stream or poll; empty when nothing was received yet. */
  header(): string {
    return encodeCursor(this.positions)
  }

  clear(): void {
    this.positions.clear()
  }
}
