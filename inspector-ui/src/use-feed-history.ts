import { useCallback, useEffect, useRef, useState } from 'react'
import type { FeedItem } from './feed.js'
import type { FeedEvent } from './types.js'
import type { InspectorWall } from './wall.js'

/** Rows per history page (the server's feed history: INSPECTOR.md, `GET _inspector/feed`). */
export const HISTORY_PAGE = 500

let nextKey = -1
/** History rows get negative keys: never equal to a live row's. */
export function historyItems(events: FeedEvent[]): FeedItem[] {
  return events.map((e) => ({ ...e, key: nextKey-- }))
}

export interface FeedSearch {
  /** the query the rows answer (trimmed); '' when no search */
  query: string
  /** newest first */
  rows: FeedItem[]
  loading: boolean
  /** there is more history to search (the server reads a bounded slice per request) */
  more: boolean
  scanned: number
  error: string | undefined
  run: (query: string) => void
  further: () => void
}

/** A search of the feed history, run on the server; "further" continues where the last page stopped. */
export function useFeedSearch(wall: InspectorWall): FeedSearch {
  const [state, setState] = useState<{ query: string; rows: FeedItem[]; next: string | null; scanned: number; loading: boolean; error?: string }>({
    query: '',
    rows: [],
    next: null,
    scanned: 0,
    loading: false,
  })
  const generation = useRef(0)

  const load = useCallback(
    async (query: string, before: string | undefined, rows: FeedItem[], scanned: number) => {
      const mine = ++generation.current
      setState({ query, rows, next: null, scanned, loading: true })
      try {
        const page = await wall.send({ type: 'feed', q: query, before, limit: HISTORY_PAGE })
        if (mine !== generation.current) return
        setState({ query, rows: [...rows, ...historyItems(page.events)], next: page.next, scanned: scanned + page.scanned, loading: false })
      } catch (error) {
        if (mine !== generation.current) return
        setState({ query, rows, next: null, scanned, loading: false, error: (error as Error)?.message ?? String(error) })
      }
    },
    [wall],
  )

  const run = useCallback(
    (raw: string) => {
      const query = raw.trim()
      if (!query) {
        generation.current++
        setState({ query: '', rows: [], next: null, scanned: 0, loading: false })
        return
      }
      void load(query, undefined, [], 0)
    },
    [load],
  )

  const further = useCallback(() => {
    if (state.next && !state.loading) void load(state.query, state.next, state.rows, state.scanned)
  }, [load, state])

  return { query: state.query, rows: state.rows, loading: state.loading, more: state.next !== null, scanned: state.scanned, error: state.error, run, further }
}

/**
 * The history before the live feed opened: loaded once per wall, then older pages on demand.
 * `older` is newest last, like the live items it comes before.
 */
export function useFeedBacklog(wall: InspectorWall): { older: FeedItem[]; more: boolean; loading: boolean; loadOlder: () => void; clear: () => void } {
  const [older, setOlder] = useState<FeedItem[]>([])
  const [next, setNext] = useState<string | null | undefined>(undefined)
  const [loading, setLoading] = useState(false)
  const busy = useRef(false)

  const load = useCallback(
    async (before: string | undefined) => {
      if (busy.current) return
      busy.current = true
      setLoading(true)
      try {
        const page = await wall.send({ type: 'feed', before, limit: HISTORY_PAGE })
        setOlder((current) => [...historyItems(page.events).reverse(), ...current])
        setNext(page.next)
      } catch {
        // A wall without history (an older server, a relay): the live feed alone.
        setNext(null)
      } finally {
        busy.current = false
        setLoading(false)
      }
    },
    [wall],
  )

  useEffect(() => {
    setOlder([])
    setNext(undefined)
    void load(undefined)
  }, [load])

  const loadOlder = useCallback(() => {
    if (next) void load(next)
  }, [load, next])

  const clear = useCallback(() => {
    setOlder([])
    setNext(null)
  }, [])

  return { older, more: Boolean(next), loading, loadOlder, clear }
}

/** History rows first, then live ones, each row once (the two overlap where the live feed began). */
export function mergeFeed(older: FeedItem[], live: FeedItem[]): FeedItem[] {
  if (older.length === 0) return live
  const seen = new Set<string>()
  for (const e of live) if (e.id) seen.add(e.id)
  const kept = older.filter((e) => !e.id || !seen.has(e.id))
  // Live rows older than the newest history row were already shown as history.
  const newest = kept.at(-1)?.id
  return [...kept, ...(newest ? live.filter((e) => !e.id || compareRowIds(e.id, newest) > 0) : live)]
}

/** Row ids `<ms>-<n>.<i>` in the server's order. */
export function compareRowIds(a: string, b: string): number {
  const pa = a.split(/[-.]/).map(Number)
  const pb = b.split(/[-.]/).map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
