import { useCallback, useEffect, useRef, useState } from 'react'
import { appendBounded, type FeedItem } from './feed.js'
import { InspectorError, type FeedEvent, type FeedStatus, type Metrics, type Snapshot } from './types.js'
import type { InspectorWall } from './wall.js'

function asInspectorError(error: unknown): InspectorError {
  if (error instanceof InspectorError) return error
  const e = error as { code?: unknown; message?: unknown; status?: unknown }
  return new InspectorError(
    typeof e?.code === 'string' ? e.code : 'ERROR',
    typeof e?.message === 'string' ? e.message : String(error),
    typeof e?.status === 'number' ? e.status : undefined,
  )
}

export interface InspectorData {
  snapshot: Snapshot | undefined
  metrics: Metrics | undefined
  error: InspectorError | undefined
  updatedAt: number | undefined
  loading: boolean
  refresh: () => void
  /** Ask for a refresh soon, coalescing bursts (feed events). */
  nudge: () => void
}

// Feed keys stay unique across re-subscriptions (a new wall keeps the old items until cleared).
let nextFeedKey = 0

/**
 * The summary (counts, rooms) reads the most recently seen sessions, at most this many: a refresh
 * costs the same at 1,000 sessions as at 100,000. The total is exact; the Sessions view pages.
 */
export const SUMMARY_LIMIT = 500

const NUDGE_DELAY = 250
const MIN_GAP = 1000
/**
 * The next poll waits at least this many times the last refresh took: a snapshot that costs the
 * server 1 s is read at most every 5 s, so an open inspector takes a bounded share of the server
 * however many sessions it lists.
 */
const COST_FACTOR = 5

/** When to poll next: pollInterval, stretched by the last refresh's duration, never while the page is hidden. */
export function nextPollDelay(pollInterval: number, lastDurationMs: number): number {
  return Math.max(pollInterval, lastDurationMs * COST_FACTOR)
}

/** Snapshot and metrics, polled every `pollInterval` and refreshed (throttled) on demand. */
export function useInspectorData(wall: InspectorWall, pollInterval: number): InspectorData {
  const [snapshot, setSnapshot] = useState<Snapshot>()
  const [metrics, setMetrics] = useState<Metrics>()
  const [error, setError] = useState<InspectorError>()
  const [updatedAt, setUpdatedAt] = useState<number>()
  const [loading, setLoading] = useState(true)
  const inFlight = useRef(false)
  const again = useRef(false)
  const lastRun = useRef(0)
  const nudgeTimer = useRef<ReturnType<typeof setTimeout>>(undefined)
  const alive = useRef(true)
  const lastDuration = useRef(0)

  const refresh = useCallback(async () => {
    if (inFlight.current) {
      again.current = true
      return
    }
    inFlight.current = true
    lastRun.current = Date.now()
    const started = Date.now()
    try {
      const [snap, met] = await Promise.allSettled([
        wall.send({ type: 'snapshot', limit: SUMMARY_LIMIT, sort: 'recent' }),
        wall.send({ type: 'metrics' }),
      ])
      if (!alive.current) return
      if (snap.status === 'fulfilled') setSnapshot(snap.value)
      if (met.status === 'fulfilled') setMetrics(met.value)
      const failure = snap.status === 'rejected' ? snap.reason : met.status === 'rejected' ? met.reason : undefined
      setError(failure === undefined ? undefined : asInspectorError(failure))
      if (failure === undefined) setUpdatedAt(Date.now())
      setLoading(false)
    } finally {
      lastDuration.current = Date.now() - started
      inFlight.current = false
      if (again.current && alive.current) {
        again.current = false
        void refresh()
      }
    }
  }, [wall])

  const nudge = useCallback(() => {
    if (nudgeTimer.current) return
    const wait = Math.max(NUDGE_DELAY, lastRun.current + MIN_GAP - Date.now())
    nudgeTimer.current = setTimeout(() => {
      nudgeTimer.current = undefined
      void refresh()
    }, wait)
  }, [refresh])

  useEffect(() => {
    alive.current = true
    setLoading(true)
    void refresh()
    let timer: ReturnType<typeof setTimeout>
    const hidden = () => typeof document !== 'undefined' && document.hidden
    const schedule = () => {
      timer = setTimeout(() => {
        // A hidden tab costs the server nothing; it refreshes when shown again.
        if (!hidden()) void refresh()
        schedule()
      }, nextPollDelay(pollInterval, lastDuration.current))
    }
    schedule()
    const onVisible = () => {
      if (!hidden()) void refresh()
    }
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisible)
    return () => {
      alive.current = false
      clearTimeout(timer)
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisible)
      if (nudgeTimer.current) clearTimeout(nudgeTimer.current)
      nudgeTimer.current = undefined
    }
  }, [refresh, pollInterval])

  return { snapshot, metrics, error, updatedAt, loading, refresh: () => void refresh(), nudge }
}

export interface FeedState {
  items: FeedItem[]
  status: FeedStatus
  clear: () => void
}

/**
 * The live feed, kept in a bounded buffer (newest last). Events are batched per animation frame
 * so a busy server does not re-render per message.
 */
export function useFeed(wall: InspectorWall, limit: number, onEvent?: (event: FeedEvent) => void): FeedState {
  const [items, setItems] = useState<FeedItem[]>([])
  const [status, setStatus] = useState<FeedStatus>('connecting')
  const onEventRef = useRef(onEvent)
  onEventRef.current = onEvent

  useEffect(() => {
    let pending: FeedItem[] = []
    let scheduled: ReturnType<typeof setTimeout> | undefined
    const flush = () => {
      scheduled = undefined
      const batch = pending
      pending = []
      setItems((current) => appendBounded(current, batch, limit))
    }
    const unsubscribe = wall.listen(
      (event) => {
        pending.push({ ...event, key: ++nextFeedKey })
        if (pending.length > limit) pending = pending.slice(pending.length - limit)
        if (!scheduled) scheduled = setTimeout(flush, 100)
        onEventRef.current?.(event)
      },
      (next) => setStatus(next),
    )
    return () => {
      unsubscribe()
      if (scheduled) clearTimeout(scheduled)
    }
  }, [wall, limit])

  return { items, status, clear: useCallback(() => setItems([]), []) }
}
