import { useCallback, useEffect, useRef, useState } from 'react'
import type { InspectorWall } from './wall.js'
import type { SessionInfo, SessionPage, SessionSort } from './types.js'

/** Rows per page the Sessions view asks for. */
export const PAGE_SIZE = 100
/** A search follows the server's `next` at most this many requests per step (2,000 records each). */
export const SEARCH_REQUESTS = 5
/** A refresh re-reads at most this many of the loaded rows (the server's page limit). */
const REFRESH_MAX = 500

export interface SessionPagesState {
  sessions: SessionInfo[]
  /** exact number of live sessions */
  total: number | undefined
  /** where the next page starts; null when there is none */
  next: number | null
  /** records the server read for this search so far */
  scanned: number
  loading: boolean
  error: unknown
  more: () => void
}

/**
 * The Sessions view's rows, read from `GET _inspector/sessions` page by page (never the whole
 * list): the first page, more on demand, and on each refresh (`tick`) the rows already loaded
 * (at most REFRESH_MAX), so a refresh costs what is on screen, not what the server holds. A search
 * (`q`) runs on the server and is not re-run by refreshes: it reads up to SEARCH_REQUESTS bounded
 * requests per step and says how far it got.
 */
export function useSessionPages(wall: InspectorWall, q: string, sort: SessionSort, tick: unknown): SessionPagesState {
  const [state, setState] = useState<Omit<SessionPagesState, 'more'>>({ sessions: [], total: undefined, next: 0, scanned: 0, loading: true, error: undefined })
  const generation = useRef(0)
  const current = useRef(state)
  current.current = state
  const query = q.trim()

  /** Reads from `cursor` until `want` rows are found, the end, or the request budget. */
  const read = useCallback(
    async (cursor: number, want: number, gen: number): Promise<{ found: SessionInfo[]; page: SessionPage | undefined; next: number | null; scanned: number }> => {
      const found: SessionInfo[] = []
      let next: number | null = cursor
      let scanned = 0
      let page: SessionPage | undefined
      for (let i = 0; i < (query ? SEARCH_REQUESTS : 1) && next !== null && found.length < want; i++) {
        page = await wall.send({ type: 'sessions', cursor: next, limit: Math.min(REFRESH_MAX, want - found.length), q: query || undefined, sort })
        if (gen !== generation.current) break
        found.push(...page.sessions)
        scanned += page.scanned
        next = page.next
      }
      return { found, page, next, scanned }
    },
    [wall, query, sort],
  )

  // A new search or order: start over.
  useEffect(() => {
    const gen = ++generation.current
    setState({ sessions: [], total: undefined, next: 0, scanned: 0, loading: true, error: undefined })
    read(0, PAGE_SIZE, gen).then(
      ({ found, page, next, scanned }) => {
        if (gen === generation.current) setState({ sessions: found, total: page?.total, next, scanned, loading: false, error: undefined })
      },
      (error) => {
        if (gen === generation.current) setState((s) => ({ ...s, loading: false, error }))
      },
    )
  }, [read])

  // A refresh re-reads the loaded rows (not a search's: it would scan again).
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    if (query || current.current.loading) return
    const gen = generation.current
    const loaded = Math.min(REFRESH_MAX, Math.max(PAGE_SIZE, current.current.sessions.length))
    wall.send({ type: 'sessions', cursor: 0, limit: loaded, sort }).then(
      (page) => {
        if (gen !== generation.current) return
        setState((s) => {
          const rest = s.sessions.slice(loaded)
          return {
            ...s,
            sessions: [...page.sessions, ...rest],
            total: page.total,
            next: rest.length ? s.next : page.next,
            error: undefined,
          }
        })
      },
      (error) => {
        if (gen === generation.current) setState((s) => ({ ...s, error }))
      },
    )
  }, [tick]) // eslint-disable-line react-hooks/exhaustive-deps

  const more = useCallback(() => {
    const s = current.current
    if (s.loading || s.next === null) return
    const gen = generation.current
    setState({ ...s, loading: true })
    read(s.next, PAGE_SIZE, gen).then(
      ({ found, page, next, scanned }) => {
        if (gen !== generation.current) return
        setState((prev) => {
          const seen = new Set(prev.sessions.map((x) => x.id))
          return {
            sessions: [...prev.sessions, ...found.filter((x) => !seen.has(x.id))],
            total: page?.total ?? prev.total,
            next,
            scanned: prev.scanned + scanned,
            loading: false,
            error: undefined,
          }
        })
      },
      (error) => {
        if (gen === generation.current) setState((prev) => ({ ...prev, loading: false, error }))
      },
    )
  }, [read])

  return { ...state, more }
}
