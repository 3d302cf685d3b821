import type { Store } from '../store/types.js'
import type { FeedEvent } from '../observer.js'

const FLAG = 'inspector-watching'
const FLAG_TTL_SECONDS = 30
const RECHECK_MS = 2000
const MAX_DATA_CHARS = 4096
export const FEED_CHANNEL = 'inspector:feed'

/**
 * The live event feed. Events cross instances through the store's signal
 * channel, and only while some instance has an inspector feed open: a flag in
 * the store that open feeds keep alive and every instance re-reads now and then.
 */
export class Feed {
  private watched = false
  private checkedAt = 0
  private openFeeds = 0
  /** feed writes started since the last request end: the request hands them to waitUntil or awaits them */
  private writes: Promise<unknown>[] = []

  constructor(private readonly store: Store) {}

  publish(event: FeedEvent): void {
    if (!this.isWatched()) return
    if (event.data !== undefined) event.data = clip(event.data)
    this.writes.push(this.store.signal(FEED_CHANNEL, JSON.stringify(event)).catch(() => {}))
  }

  /** The feed writes started so far, for the request that is ending. */
  drain(): Promise<unknown> | undefined {
    if (this.writes.length === 0) return undefined
    const writes = this.writes
    this.writes = []
    return Promise.all(writes)
  }

  /** A feed stream opened on this instance: keep the flag up while it lives. */
  opened(): () => void {
    this.openFeeds++
    this.watched = true
    const raise = () => this.store.setFlag(FLAG, FLAG_TTL_SECONDS).catch(() => {})
    void raise()
    const timer = setInterval(raise, (FLAG_TTL_SECONDS * 1000) / 3)
    ;(timer as { unref?: () => void }).unref?.()
    return () => {
      clearInterval(timer)
      this.openFeeds--
    }
  }

  private isWatched(): boolean {
    const now = Date.now()
    if (now - this.checkedAt > RECHECK_MS) {
      this.checkedAt = now
      this.writes.push(
        this.store.hasFlag(FLAG).then(
          (on) => (this.watched = on || this.openFeeds > 0),
          () => {},
        ),
      )
    }
    return this.watched
  }
}

/** Large payloads are summarised: the feed is for seeing traffic, not for copying it. */
function clip(data: unknown): unknown {
  const text = JSON.stringify(data)
  if (text === undefined || text.length <= MAX_DATA_CHARS) return data
  return { truncated: true, chars: text.length, preview: text.slice(0, 256) }
}
