import type { FeedBounds, Store } from '../store/types.js'
import type { FeedEvent } from '../observer.js'

const FLAG = 'inspector-watching'
/** An open feed keeps the flag up; once the last closes, instances stop writing within this + RECHECK_MS. */
const FLAG_TTL_SECONDS = 10
const RECHECK_MS = 2000
/** A payload longer than this (as JSON) is kept as a preview with a marker. */
export const MAX_DATA_CHARS = 1024
const PREVIEW_CHARS = 512
/** One instance writes its events once per COALESCE_MS at most... */
export const COALESCE_MS = 100
/**
 * ...as entries of at most ENTRY_CHARS, at most ENTRIES_PER_WRITE of them per COALESCE_MS since the
 * last write (a write that comes late, on a busy instance, carries the same rate, up to
 * MAX_WINDOWS windows' worth); what does not fit is counted as dropped.
 */
export const ENTRY_CHARS = 32_768
export const ENTRIES_PER_WRITE = 4
const MAX_WINDOWS = 4
/** The history: the last 5 minutes, at most 2,000 entries (so at most 64 MB, whatever the load). */
export const HISTORY: FeedBounds = { maxEntries: 2000, keepMs: 5 * 60_000 }

/**
 * The event feed, written to the store's feed history while some inspector watches (a flag in
 * the store that open feeds keep alive and every instance re-reads now and then): events are
 * gathered per instance and appended as one entry per COALESCE_MS, at the end of the requests
 * that made them. With nobody watching, nothing is gathered and nothing is written.
 */
export class Feed {
  private watched = false
  private checkedAt = 0
  private openFeeds = 0
  /** events gathered since the last write, as entries to be (each a list of event JSON) */
  private pending: string[][] = []
  private pendingChars = 0
  private dropped = 0
  private flushedAt = 0
  /** the write the next requests' events join (one at a time per instance) */
  private scheduled: Promise<void> | undefined
  /** flag checks started since the last request end */
  private checks: Promise<unknown>[] = []
  /** the flag check in flight: a write waits for it, and writes nothing if nobody watches any more */
  private checking: Promise<unknown> | undefined

  constructor(private readonly store: Store) {}

  publish(event: FeedEvent): void {
    if (!this.isWatched()) return
    if (event.data !== undefined) event.data = clip(event.data)
    const text = JSON.stringify(event)
    if (this.pending.length === 0 || this.pendingChars + text.length > ENTRY_CHARS) {
      if (this.pending.length >= this.entryBudget() || text.length > ENTRY_CHARS) {
        this.dropped++
        return
      }
      this.pending.push([])
      this.pendingChars = 0
    }
    this.pending.at(-1)!.push(text)
    this.pendingChars += text.length + 1
  }

  /** The feed work due at the end of a request: a flag check, and the history write its events join. */
  drain(): Promise<unknown> | undefined {
    const checks = this.checks
    this.checks = []
    if (this.pending.length > 0 || this.dropped > 0) this.scheduled ??= this.write()
    if (!this.scheduled && checks.length === 0) return undefined
    return Promise.all([...checks, this.scheduled])
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

  /** One entry: `{"d": dropped since the last entry, "e": [events, oldest first]}`. */
  private async write(): Promise<void> {
    // Within the request's waitUntil (or the request itself): at most COALESCE_MS of waiting.
    // Always yields first: `scheduled` is set by the caller before this clears it.
    const wait = this.flushedAt + COALESCE_MS - Date.now()
    await Promise.all([wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : undefined, this.checking])
    if (!this.watched) {
      // The last watcher left: what was gathered meanwhile is not written.
      this.pending = []
      this.pendingChars = 0
      this.dropped = 0
      this.scheduled = undefined
      return
    }
    const entries = this.pending.map((events, i) => `{"d":${i === 0 ? this.dropped : 0},"e":[${events.join(',')}]}`)
    if (entries.length === 0) entries.push(`{"d":${this.dropped},"e":[]}`)
    this.pending = []
    this.pendingChars = 0
    this.dropped = 0
    this.flushedAt = Date.now()
    this.scheduled = undefined
    // One after another: the store numbers them in order.
    for (const entry of entries) await this.store.appendFeed(entry, HISTORY).catch(() => {})
  }

  /** Entries the next write may carry: ENTRIES_PER_WRITE per COALESCE_MS since the last one. */
  private entryBudget(): number {
    const windows = Math.floor((Date.now() - this.flushedAt) / COALESCE_MS)
    return ENTRIES_PER_WRITE * Math.min(MAX_WINDOWS, Math.max(1, windows))
  }

  private isWatched(): boolean {
    const now = Date.now()
    if (now - this.checkedAt > RECHECK_MS) {
      this.checkedAt = now
      this.checking = this.store.hasFlag(FLAG).then(
        (on) => (this.watched = on || this.openFeeds > 0),
        () => {},
      )
      this.checks.push(this.checking)
    }
    return this.watched
  }
}

/** Large payloads are kept as a preview, marked: the feed is for seeing traffic, not for copying it. */
function clip(data: unknown): unknown {
  const text = JSON.stringify(data)
  if (text === undefined || text.length <= MAX_DATA_CHARS) return data
  return { truncated: true, chars: text.length, preview: text.slice(0, PREVIEW_CHARS) }
}
