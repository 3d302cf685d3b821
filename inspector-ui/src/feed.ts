import type { FeedEvent, FeedEventType, SessionInfo } from './types.js'

export const FEED_LIMIT = 2000

/** A feed event with a stable key for lists (the feed itself carries no id). */
export interface FeedItem extends FeedEvent {
  key: number
}

/** Appends to a bounded buffer, dropping the oldest: a new array, newest last. */
export function appendBounded<T>(buffer: readonly T[], items: readonly T[], limit: number): T[] {
  if (items.length >= limit) return items.slice(items.length - limit)
  const keep = Math.max(0, Math.min(buffer.length, limit - items.length))
  return [...buffer.slice(buffer.length - keep), ...items]
}

export interface FeedFilter {
  /** Types shown; empty means all. */
  types: ReadonlySet<FeedEventType>
  /** Substring of the event name (case-insensitive). */
  event: string
  /** Substring of the session id or the room (case-insensitive). */
  target: string
}

export const emptyFeedFilter = (): FeedFilter => ({ types: new Set(), event: '', target: '' })

export function matchesFeedFilter(e: FeedEvent, filter: FeedFilter): boolean {
  if (filter.types.size > 0 && !filter.types.has(e.type)) return false
  const event = filter.event.trim().toLowerCase()
  if (event && !(e.event ?? '').toLowerCase().includes(event)) return false
  const target = filter.target.trim().toLowerCase()
  if (target && !(e.sid ?? '').toLowerCase().includes(target) && !(e.room ?? '').toLowerCase().includes(target)) {
    return false
  }
  return true
}

/** One-line preview of a payload for the feed list. */
export function previewData(data: unknown, max = 120): string {
  if (data === undefined) return ''
  let text: string
  try {
    text = typeof data === 'string' ? JSON.stringify(data) : (JSON.stringify(data) ?? String(data))
  } catch {
    text = String(data)
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Whether the feed event concerns a session: its own events, and room emits it receives. */
export function concernsSession(e: FeedEvent, sid: string, rooms: readonly string[] = []): boolean {
  if (e.sid === sid) return true
  return e.type === 'message:out' && e.room !== undefined && (e.room === '*' || rooms.includes(e.room))
}

/** A short label for who a session is: the user's name or id if there is one. */
export function userLabel(user: unknown): string {
  if (user === undefined || user === null) return ''
  if (typeof user === 'string' || typeof user === 'number') return String(user)
  if (typeof user === 'object') {
    const u = user as Record<string, unknown>
    for (const key of ['name', 'username', 'email', 'id', 'userId']) {
      const v = u[key]
      if (typeof v === 'string' || typeof v === 'number') return String(v)
    }
  }
  return previewData(user, 40)
}

/** Text that a session search matches against: id, user, transport, rooms. */
export function sessionHaystack(s: SessionInfo): string {
  return [s.id, userLabel(s.user), previewData(s.user, 200), s.transport ?? '', s.rooms.join(' ')]
    .join(' ')
    .toLowerCase()
}

/** Sessions whose id, user, transport or rooms contain every word of the query. */
export function filterSessions(sessions: SessionInfo[], query: string): SessionInfo[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean)
  if (words.length === 0) return sessions
  return sessions.filter((s) => {
    const hay = sessionHaystack(s)
    return words.every((w) => hay.includes(w))
  })
}
