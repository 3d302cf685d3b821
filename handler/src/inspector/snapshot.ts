import { BROADCAST_ROOM, decodeCursor, DIRECT_KEY, roomKey } from '@socket-serve/client/protocol'
import { isControlEntry } from '../store/entries.js'
import { CLOSED, INSTANCE_MARK, SAVED_AT, UNREAD_BYTES } from '../delivery/saved-cursor.js'
import type { SessionRecord, Store } from '../store/types.js'

/**
 * Session health, first match wins (INSPECTOR.md lists the same):
 * - `never-streamed`: no stream ever opened, min(NEVER_STREAMED_AFTER_MS, pingInterval) after connecting;
 * - `stale`: its SSE stream closed STALE_CLOSED_MS ago and none reopened, or nothing (request,
 *   stream, heartbeat) was heard for pingInterval + STALE_SLACK_MS;
 * - `not-reading`: its stream holds NOT_READING_BYTES or more its client has not taken;
 * - `backlog`: BACKLOG_MESSAGES or more messages wait for it;
 * - `live` otherwise.
 */
export type Health = 'live' | 'stale' | 'never-streamed' | 'not-reading' | 'backlog'
export const NEVER_STREAMED_AFTER_MS = 10_000
export const STALE_CLOSED_MS = 5_000
export const STALE_SLACK_MS = 5_000
export const NOT_READING_BYTES = 64 * 1024
export const BACKLOG_MESSAGES = 100

/** What the snapshot reads: the store, and the timings that make a session look stale. */
export interface SnapshotSource {
  store: Pick<Store, 'sessionIds' | 'getSession' | 'head' | 'read' | 'liveCount' | 'seenAt'>
  opts: { pingInterval: number; pingTimeout: number; inspector?: { readonly?: boolean } }
}

export interface SessionInfo {
  id: string
  user: unknown
  transport: string
  connectedAt: number
  lastSeen: number
  connected: boolean
  health: Health
  /** when its stream last reported (opened, moved, heartbeat, closed); absent: never streamed */
  streamSeenAt?: number
  /** bytes its stream held that the client had not taken, at that report */
  unreadBytes?: number
  /** the instance whose stream (SSE or poll) last reported for it (its id in the instance list) */
  instance?: string
  /** the client's address at connect, as the platform reported it */
  address?: string
  /** the client's User-Agent at connect */
  userAgent?: string
  rooms: string[]
  state: Record<string, unknown>
  queued: number
}

export interface QueuedMessage {
  log: string
  seq: number
  event: string
  data: unknown
}

/** One log a session reads: its store key, the client's name for it, and where the session is. */
interface LogPosition {
  storeKey: string
  clientKey: string
  from: number
}

/** Where each of a session's logs stands for it: the saved stream cursor, or where it joined. */
function positions(r: SessionRecord): LogPosition[] {
  const cursor = decodeCursor(r.cursor)
  const out: LogPosition[] = [{ storeKey: `d:${r.sid}`, clientKey: DIRECT_KEY, from: cursor.get(DIRECT_KEY) ?? 0 }]
  for (const [room, joinedAt] of Object.entries(r.rooms)) {
    const clientKey = roomKey(room)
    out.push({ storeKey: `r:${room}`, clientKey, from: Math.max(joinedAt, cursor.get(clientKey) ?? 0) })
  }
  return out
}

/** Sessions with their queued counts and health; heads are read once per log, however many sessions share it. */
async function describe(server: SnapshotSource, records: SessionRecord[], now: number): Promise<SessionInfo[]> {
  const keys = new Set<string>()
  for (const r of records) for (const p of positions(r)) keys.add(p.storeKey)
  const heads = new Map<string, number>()
  await Promise.all([...keys].map(async (k) => heads.set(k, await server.store.head(k))))
  return records.map((r) => {
    const info = sessionInfo(server, r, now)
    info.queued = positions(r).reduce((sum, p) => sum + Math.max(0, (heads.get(p.storeKey) ?? 0) - p.from), 0)
    info.health = health(server, r, info, now)
    return info
  })
}

async function records(server: SnapshotSource, ids: string[]): Promise<SessionRecord[]> {
  const found = (await Promise.all(ids.map((id) => server.store.getSession(id)))).filter((r): r is SessionRecord => r !== null)
  await withLiveSeen(server.store, found)
  return found
}

export async function snapshot(server: SnapshotSource, limit: number, sort: SessionSort = 'seen') {
  const { store, opts } = server
  const now = Date.now()
  const live = await store.liveCount()
  const ids = await pageIds(store, sort === 'recent', live, 0, limit)
  const rooms = new Map<string, string[]>()
  const sessions = await describe(server, await records(server, ids), now)
  for (const info of sessions) {
    for (const room of info.rooms) {
      let members = rooms.get(room)
      if (!members) rooms.set(room, (members = []))
      members.push(info.id)
    }
  }
  return {
    time: now,
    pingInterval: opts.pingInterval,
    readonly: !!opts.inspector?.readonly,
    totals: {
      // exact, however many are listed (?limit= caps the list, not the count)
      sessions: Math.max(live, sessions.length),
      listed: sessions.length,
      connected: sessions.filter((s) => s.connected).length,
      rooms: rooms.size,
      queued: sessions.reduce((sum, s) => sum + s.queued, 0),
    },
    sessions,
    rooms: [...rooms].map(([name, members]) => ({ name, members })),
  }
}

/** One session with its queued messages (oldest first per log, at most `max`). */
export async function sessionDetail(server: SnapshotSource, sid: string, max = 100) {
  const r = await server.store.getSession(sid)
  if (!r) return null
  await withLiveSeen(server.store, [r])
  const now = Date.now()
  const info = sessionInfo(server, r, now)
  const messages: QueuedMessage[] = []
  for (const p of positions(r)) {
    const res = await server.store.read(p.storeKey, p.from, max)
    info.queued += Math.max(0, res.head - p.from)
    for (const e of res.entries) {
      if (messages.length >= max || isControlEntry(e.data) || e.exclude === sid) continue
      const frame = JSON.parse(e.data) as { e: string; d?: unknown }
      messages.push({ log: p.clientKey, seq: e.seq, event: frame.e, data: frame.d })
    }
  }
  info.health = health(server, r, info, now)
  return { ...info, messages }
}

export interface SessionPageQuery {
  /** where to go on: the `next` of the previous page (an offset into the live index) */
  cursor: number
  limit: number
  /**
   * text matched against id, user, state, rooms, transport, client address, user agent and
   * instance (case-insensitive)
   */
  q?: string
  health?: Health
  /**
   * `seen` (default): the live index's order, least recently seen first; `recent`: most recently
   * seen first (the same index read from its other end, so it costs the same).
   */
  sort?: SessionSort
}

export type SessionSort = 'seen' | 'recent'
export const SESSION_SORTS: readonly SessionSort[] = ['seen', 'recent']

/** At most this many records are read per page request: a search pays per page, not per session. */
export const SCAN_BUDGET = 2000

/**
 * One page of sessions, in the live index's order (last seen). Without a filter it reads just the
 * page; with one it reads at most SCAN_BUDGET records and says where to go on (`next`), so a
 * search over 100,000 sessions is a few bounded requests, never one that grows with them.
 */
export async function sessionPage(server: SnapshotSource, query: SessionPageQuery) {
  const now = Date.now()
  const total = await server.store.liveCount()
  const q = query.q?.toLowerCase()
  const filtered = !!q || !!query.health
  const sessions: SessionInfo[] = []
  let offset = query.cursor
  let scanned = 0
  let end = false
  while (sessions.length < query.limit && scanned < (filtered ? SCAN_BUDGET : query.limit)) {
    const take = filtered ? Math.min(500, SCAN_BUDGET - scanned) : query.limit - sessions.length
    const ids = await pageIds(server.store, query.sort === 'recent', total, offset, take)
    offset += ids.length
    scanned += ids.length
    const found = await describe(server, await records(server, ids), now)
    for (const s of found) {
      if (sessions.length >= query.limit) break
      if (query.health && s.health !== query.health) continue
      if (q && !matches(s, q)) continue
      sessions.push(s)
    }
    if (ids.length < take) {
      end = true
      break
    }
  }
  return {
    time: now,
    /** exact count of live sessions */
    total,
    sessions,
    /** records read for this page */
    scanned,
    /** the cursor of the next page; null at the end */
    next: end || offset >= total ? null : offset,
  }
}

/** `take` ids from position `offset` of the live index, read from either end. */
async function pageIds(store: SnapshotSource['store'], fromEnd: boolean, total: number, offset: number, take: number): Promise<string[]> {
  if (!fromEnd) return store.sessionIds(take, offset)
  const start = total - offset - take
  const count = start < 0 ? take + start : take
  if (count <= 0) return []
  return (await store.sessionIds(count, Math.max(0, start))).reverse()
}

function matches(s: SessionInfo, q: string): boolean {
  if (s.id.toLowerCase().includes(q) || s.transport.includes(q) || s.rooms.some((r) => r.toLowerCase().includes(q))) return true
  if (s.address?.toLowerCase().includes(q) || s.userAgent?.toLowerCase().includes(q) || s.instance?.includes(q)) return true
  try {
    return JSON.stringify(s.user ?? null).toLowerCase().includes(q) || JSON.stringify(s.state).toLowerCase().includes(q)
  } catch {
    return false
  }
}

export function health(server: Pick<SnapshotSource, 'opts'>, r: SessionRecord, info: Pick<SessionInfo, 'queued'>, now: number): Health {
  const saved = r.cursor ? decodeCursor(r.cursor) : undefined
  if (!saved || !saved.has(SAVED_AT)) {
    if (now - r.createdAt >= Math.min(NEVER_STREAMED_AFTER_MS, server.opts.pingInterval)) return 'never-streamed'
  } else {
    const at = saved.get(SAVED_AT)!
    if (saved.has(CLOSED) && now - at >= STALE_CLOSED_MS) return 'stale'
  }
  if (now - r.lastSeen > server.opts.pingInterval + STALE_SLACK_MS) return 'stale'
  if ((saved?.get(UNREAD_BYTES) ?? 0) >= NOT_READING_BYTES) return 'not-reading'
  if (info.queued >= BACKLOG_MESSAGES) return 'backlog'
  return 'live'
}

/**
 * Open streams keep a session alive in the live index only (one command per heartbeat per
 * instance); the record's lastSeen is refreshed far less often. The later of the two is when
 * the session was last seen.
 */
async function withLiveSeen(store: Pick<Store, 'seenAt'>, records: SessionRecord[]): Promise<void> {
  const seen = await store.seenAt(records.map((r) => r.sid))
  records.forEach((r, i) => (r.lastSeen = Math.max(r.lastSeen, seen[i] ?? 0)))
}

function sessionInfo(server: SnapshotSource, r: SessionRecord, now: number): SessionInfo {
  const { pingInterval, pingTimeout } = server.opts
  return {
    id: r.sid,
    user: r.user,
    transport: r.transport,
    connectedAt: r.createdAt,
    lastSeen: r.lastSeen,
    connected: now - r.lastSeen < pingInterval + pingTimeout,
    health: 'live',
    ...streamReport(r),
    ...(r.client?.address ? { address: r.client.address } : {}),
    ...(r.client?.userAgent ? { userAgent: r.client.userAgent } : {}),
    rooms: Object.keys(r.rooms).filter((room) => room !== BROADCAST_ROOM),
    state: r.state,
    queued: 0,
  }
}

function streamReport(r: SessionRecord): { streamSeenAt?: number; unreadBytes?: number; instance?: string } {
  if (!r.cursor) return {}
  const saved = decodeCursor(r.cursor)
  const at = saved.get(SAVED_AT)
  if (at === undefined) return {}
  const report: { streamSeenAt?: number; unreadBytes?: number; instance?: string } = { streamSeenAt: at, unreadBytes: saved.get(UNREAD_BYTES) ?? 0 }
  for (const key of saved.keys()) if (key.startsWith(INSTANCE_MARK)) report.instance = key.slice(INSTANCE_MARK.length)
  return report
}
