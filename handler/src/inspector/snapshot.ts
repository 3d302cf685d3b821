import { BROADCAST_ROOM, decodeCursor, DIRECT_KEY, roomKey } from '@socket-serve/client/protocol'
import { isControlEntry } from '../store/entries.js'
import type { SessionRecord, Store } from '../store/types.js'

/** What the snapshot reads: the store, and the timings that make a session look stale. */
export interface SnapshotSource {
  store: Pick<Store, 'sessionIds' | 'getSession' | 'head' | 'read' | 'seenAt'>
  opts: { pingInterval: number; pingTimeout: number; inspector?: { readonly?: boolean } }
}

export interface SessionInfo {
  id: string
  user: unknown
  transport: string
  connectedAt: number
  lastSeen: number
  connected: boolean
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

export async function snapshot(server: SnapshotSource, limit: number) {
  const { store, opts } = server
  const now = Date.now()
  const ids = await store.sessionIds(limit)
  const records = (await Promise.all(ids.map((id) => store.getSession(id)))).filter((r): r is SessionRecord => r !== null)
  await withLiveSeen(store, records)
  // Heads are read once per log, however many sessions share it (rooms).
  const keys = new Set<string>()
  for (const r of records) for (const p of positions(r)) keys.add(p.storeKey)
  const heads = new Map<string, number>()
  await Promise.all([...keys].map(async (k) => heads.set(k, await store.head(k))))

  const rooms = new Map<string, string[]>()
  const sessions: SessionInfo[] = records.map((r) => {
    const info = sessionInfo(server, r, now)
    info.queued = positions(r).reduce((sum, p) => sum + Math.max(0, (heads.get(p.storeKey) ?? 0) - p.from), 0)
    for (const room of info.rooms) {
      let members = rooms.get(room)
      if (!members) rooms.set(room, (members = []))
      members.push(r.sid)
    }
    return info
  })
  return {
    time: now,
    pingInterval: opts.pingInterval,
    readonly: !!opts.inspector?.readonly,
    totals: {
      sessions: sessions.length,
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
  const info = sessionInfo(server, r, Date.now())
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
  return { ...info, messages }
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
    rooms: Object.keys(r.rooms).filter((room) => room !== BROADCAST_ROOM),
    state: r.state,
    queued: 0,
  }
}
