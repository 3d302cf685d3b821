import type { FeedEvent } from '../observer.js'
import type { FeedEntry, FeedHistory } from '../store/types.js'

/** A feed event as read back: `id` = `<entry id>.<index in the entry>`, unique and ordered. */
export type FeedRow = FeedEvent & { id: string }

export interface FeedPage {
  /** newest first */
  events: FeedRow[]
  /** the `before` of the next (older) page; null: the history ends here */
  next: string | null
  /** entries read for this page (a search stops after MAX_SCAN_ENTRIES / MAX_SCAN_CHARS) */
  scanned: number
  /** events that were not kept (over an instance's budget per entry) among those scanned */
  dropped: number
}

export interface FeedQuery {
  /** a row id: only rows older than it */
  before?: string
  /** substring (case-insensitive) of the event name, the payload, the session or the room */
  q?: string
  limit: number
}

const CHUNK = 50
/** One page reads at most this many entries and this much text: a search's cost is bounded. */
export const MAX_SCAN_ENTRIES = 1000
export const MAX_SCAN_CHARS = 4_000_000
const ROW_ID = /^(\d+-\d+)\.(\d+)$/
const ENTRY_ID = /^\d+-\d+$/

export function isRowId(id: string): boolean {
  return ROW_ID.test(id)
}

export function isEntryId(id: string): boolean {
  return ENTRY_ID.test(id)
}

/** One page of the history, newest first, searched on the server within a bounded scan. */
export async function readFeedPage(store: FeedHistory, query: FeedQuery): Promise<FeedPage> {
  const cursor = query.before ? ROW_ID.exec(query.before) : null
  const needle = query.q?.trim().toLowerCase() || undefined
  const events: FeedRow[] = []
  let through = cursor?.[1]
  let last: string | undefined
  let scanned = 0
  let chars = 0
  let dropped = 0
  for (;;) {
    if (scanned >= MAX_SCAN_ENTRIES || chars >= MAX_SCAN_CHARS) return { events, next: last ? `${last}.0` : null, scanned, dropped }
    // Inclusive of `through`: the cursor's entry may be half read; later chunks repeat their first.
    const entries = (await store.readFeedBefore(through, CHUNK)).filter((e) => e.id !== last)
    if (entries.length === 0) return { events, next: null, scanned, dropped }
    for (const entry of entries) {
      scanned++
      chars += entry.data.length
      const { d, e } = parseEntry(entry)
      dropped += d
      let i = e.length - 1
      if (cursor && entry.id === cursor[1]) i = Math.min(i, Number(cursor[2]) - 1)
      for (; i >= 0; i--) {
        if (events.length >= query.limit) return { events, next: `${entry.id}.${i + 1}`, scanned, dropped }
        const event = e[i]!
        if (!needle || matches(event, needle)) events.push({ ...event, id: `${entry.id}.${i}` })
      }
      last = entry.id
      through = entry.id
    }
  }
}

/** The rows of entries, oldest first (the live stream's order). */
export function rowsOf(entries: FeedEntry[]): FeedRow[] {
  return entries.flatMap((entry) => parseEntry(entry).e.map((event, i) => ({ ...event, id: `${entry.id}.${i}` })))
}

function parseEntry(entry: FeedEntry): { d: number; e: FeedEvent[] } {
  try {
    const value = JSON.parse(entry.data) as { d?: unknown; e?: unknown }
    return { d: typeof value.d === 'number' ? value.d : 0, e: Array.isArray(value.e) ? (value.e as FeedEvent[]) : [] }
  } catch {
    return { d: 0, e: [] }
  }
}

function matches(event: FeedEvent, needle: string): boolean {
  if (event.event?.toLowerCase().includes(needle)) return true
  if (event.sid?.toLowerCase().includes(needle) || event.room?.toLowerCase().includes(needle)) return true
  if (event.data === undefined) return false
  const text = typeof event.data === 'string' ? event.data : JSON.stringify(event.data)
  return text.toLowerCase().includes(needle)
}
