import { safeEqual } from '../ids.js'
import { newEpoch, setJoin, unsetJoin } from './epochs.js'
import { FeedRing } from './feed-ring.js'
import { claimMessages, finishMessages, newClaimState, renewLeases, startMessages, type ClaimState } from './claim-model.js'
import { LiveOrder } from './live-order.js'
import type { Admission, Appended, AppendOrigin, ClaimLimits, ConnectBounds, ClaimResult, FeedBounds, FeedEntry, FinishedMessage, KeepAliveResult, LogEntry, LogPosition, LogRead, ReadResult, SessionRecord, Store, StoreHealth, StoreLimits, Subscription } from './types.js'

interface Log {
  entries: LogEntry[]
  head: number
  epoch: string
  /** the epoch it had before a renewal, and its head then (Logs.read) */
  renewed?: LogPosition
}

type Listener = (entry: LogEntry | null) => void
/** Subscriptions here are live at once. */
const READY = Promise.resolve()

interface Session {
  record: SessionRecord
  expiresAt: number
  /** made by the session's first message: an idle session keeps none */
  claims?: ClaimState
}

/**
 * The embedded default store: one process, no persistence. It keeps the same
 * semantics as the Redis store (bounded logs, TTLs, idempotency) so that code
 * tested against it behaves the same in production.
 */
export class MemoryStore implements Store {
  private sessions = new Map<string, Session>()
  /** live index: sid -> last seen */
  private live = new Map<string, number>()
  /** the live index's members in order, for paging by offset in O(log n) (kept with `live`) */
  private order = new LiveOrder()
  /** sessions being ended: sid -> lease expiry */
  private ending = new Map<string, number>()
  private logs = new Map<string, Log>()
  private rooms = new Map<string, Set<string>>()
  /** one listener, or a set of them: a session's direct log has one reader, and an idle one keeps no Set */
  private listeners = new Map<string, Listener | Set<Listener>>()
  private signals = new Map<string, Set<(message: string) => void>>()
  private metrics = new Map<string, { counts: Record<string, number>; expiresAt: number }>()
  private flags = new Map<string, number>()
  private feed = new FeedRing()
  /** connects per client address in the current window */
  private connects = new Map<string, { count: number; resetAt: number }>()
  private recent = new Map<string, { items: string[]; expiresAt: number }>()

  async createSession(record: SessionRecord, limits: StoreLimits): Promise<void> {
    this.sessions.set(record.sid, {
      record: clone(record),
      expiresAt: Date.now() + limits.ttl * 1000,
    })
    this.setLive(record.sid, record.lastSeen)
  }

  async getSession(sid: string): Promise<SessionRecord | null> {
    const s = this.session(sid)
    return s ? clone(s.record) : null
  }

  async setState(sid: string, patch: Record<string, unknown>, limits: StoreLimits): Promise<boolean> {
    const s = this.session(sid)
    if (!s) return false
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete s.record.state[k]
      else s.record.state[k] = clone(v)
    }
    s.expiresAt = Date.now() + limits.ttl * 1000
    return true
  }

  async touch(sids: string[], now: number, limits: StoreLimits, transport?: string): Promise<string[]> {
    const ended: string[] = []
    for (const sid of sids) {
      const s = this.session(sid)
      if (s?.record.ended !== undefined) ended.push(sid)
      if (!s || s.record.ended !== undefined) continue
      s.record.lastSeen = now
      if (transport) s.record.transport = transport
      s.expiresAt = Date.now() + limits.ttl * 1000
      if (this.live.has(sid)) this.live.set(sid, now)
    }
    return ended
  }

  async keepAlive(sids: string[], now: number, idleCutoff: number): Promise<KeepAliveResult> {
    const missing: string[] = []
    for (const sid of sids) {
      if (this.live.has(sid)) this.live.set(sid, now)
      else missing.push(sid)
    }
    return { missing, sweepDue: (await this.idleSessions(idleCutoff, 1)).length > 0 }
  }

  async seenAt(sids: string[]): Promise<(number | null)[]> {
    return sids.map((sid) => this.live.get(sid) ?? null)
  }

  async idleSessions(cutoff: number, limit: number): Promise<string[]> {
    const out: string[] = []
    const now = Date.now()
    for (const [sid, until] of this.ending) {
      if (out.length >= limit) return out
      if (until <= now) out.push(sid)
    }
    for (const [sid, seen] of this.live) {
      if (out.length >= limit) break
      // An expired record counts as idle too, so its onDisconnect still runs.
      if (seen < cutoff || !this.session(sid)) out.push(sid)
    }
    return out
  }

  // As on Redis (ZRANGE, ZCARD): a session whose record expired stays in the live index, and is
  // listed and counted, until the sweep ends it; both cost O(log n) however many sessions are live.
  async sessionIds(limit: number, offset = 0): Promise<string[]> {
    return this.order.slice(offset, limit)
  }

  async liveCount(): Promise<number> {
    return this.live.size
  }

  async beginEnd(sid: string, leaseMs: number, idleBefore?: number): Promise<boolean> {
    const now = Date.now()
    const seen = this.live.get(sid)
    if (seen !== undefined) {
      if (idleBefore !== undefined && seen >= idleBefore && this.session(sid)) return false
      this.dropLive(sid)
    } else {
      const until = this.ending.get(sid)
      if (until === undefined || until > now) return false
    }
    this.ending.set(sid, now + leaseMs)
    return true
  }

  async markDisconnected(sid: string): Promise<void> {
    const s = this.session(sid)
    if (s) s.record.disconnected = true
  }

  async finishEnd(sid: string, reason: string, recoverMs: number): Promise<void> {
    const s = this.session(sid)
    if (s && recoverMs > 0) {
      s.record.ended = reason
      delete s.record.disconnected
      s.expiresAt = Date.now() + recoverMs
    } else {
      this.sessions.delete(sid)
      this.logs.delete(`d:${sid}`)
    }
    this.ending.delete(sid)
    this.dropLive(sid)
  }

  async revive(sid: string, now: number, limits: StoreLimits): Promise<boolean> {
    const s = this.session(sid)
    if (!s || s.record.ended === undefined || this.live.has(sid) || this.ending.has(sid)) return false
    delete s.record.ended
    s.record.lastSeen = now
    s.expiresAt = Date.now() + limits.ttl * 1000
    this.setLive(sid, now)
    return true
  }

  async deleteSession(sid: string): Promise<void> {
    this.sessions.delete(sid)
    this.dropLive(sid)
    this.ending.delete(sid)
    this.logs.delete(`d:${sid}`)
  }

  async claimMessages(sid: string, token: string, ids: number[], limits: ClaimLimits, answered?: number): Promise<ClaimResult> {
    const s = this.session(sid)
    if (!s || !safeEqual(s.record.token, token)) return { authorized: false }
    const now = Date.now()
    if (s.record.ended === undefined) {
      s.record.lastSeen = now
      if (this.live.has(sid)) this.live.set(sid, now)
    }
    s.expiresAt = Math.max(s.expiresAt, now + limits.ttl * 1000)
    return { authorized: true, ...claimMessages((s.claims ??= newClaimState()), ids, now, limits.leaseMs, limits.owner, limits.rate, answered), record: clone(s.record) }
  }

  async renewLeases(sid: string, ids: number[], leaseMs: number, owner: string): Promise<void> {
    const s = this.session(sid)
    if (s?.claims) renewLeases(s.claims, ids, Date.now(), leaseMs, owner)
  }

  async startMessages(sid: string, ids: number[], owner: string): Promise<void> {
    const s = this.session(sid)
    if (s?.claims) startMessages(s.claims, ids, owner)
  }

  async finishMessages(sid: string, done: FinishedMessage[], released: number[], owner: string): Promise<void> {
    const s = this.session(sid)
    if (s?.claims) finishMessages(s.claims, done, released, owner)
  }

  async joinRoom(sid: string, room: string, _limits?: StoreLimits, maxRooms = 0): Promise<LogPosition | null | 'full'> {
    const s = this.session(sid)
    if (!s || s.record.ended !== undefined || !this.live.has(sid)) return null
    if (maxRooms > 0 && !(room in s.record.rooms) && roomCount(s.record.rooms) >= maxRooms) return 'full'
    let members = this.rooms.get(room)
    if (!members) this.rooms.set(room, (members = new Set()))
    members.add(sid)
    // No await between the bound's check and the record: joins of one session are atomic here.
    const log = this.logs.get(`r:${room}`)
    const at = log ? { seq: log.head, epoch: log.epoch } : { seq: 0, epoch: '' }
    setJoin(s.record, room, at)
    return at
  }

  async admitConnect(address: string | undefined, bounds: ConnectBounds): Promise<Admission> {
    if (bounds.sessions > 0 && this.live.size >= bounds.sessions) return { admitted: false, reason: 'sessions', retryAfterMs: 5000 }
    if (!address || bounds.perAddress <= 0) return { admitted: true }
    const now = Date.now()
    let c = this.connects.get(address)
    if (!c || c.resetAt <= now) {
      // Windows that ran out are dropped as the map grows, so a spread of addresses is not kept.
      if (this.connects.size >= 1024) for (const [k, old] of this.connects) if (old.resetAt <= now) this.connects.delete(k)
      this.connects.set(address, (c = { count: 0, resetAt: now + bounds.windowMs }))
    }
    if (c.count >= bounds.perAddress) return { admitted: false, reason: 'address', retryAfterMs: c.resetAt - now }
    c.count++
    return { admitted: true }
  }

  async dropMemberships(sid: string, rooms: string[]): Promise<void> {
    for (const room of rooms) {
      const members = this.rooms.get(room)
      members?.delete(sid)
      if (members?.size === 0) this.emptied(room)
    }
  }

  async restoreMemberships(sid: string, rooms: string[]): Promise<void> {
    for (const room of rooms) {
      let members = this.rooms.get(room)
      if (!members) this.rooms.set(room, (members = new Set()))
      members.add(sid)
    }
  }

  async leaveRoom(sid: string, room: string): Promise<number> {
    const members = this.rooms.get(room)
    members?.delete(sid)
    if (members && members.size === 0) this.emptied(room)
    const s = this.session(sid)
    if (s) unsetJoin(s.record, room)
    return this.logs.get(`r:${room}`)?.head ?? 0
  }

  async members(room: string, limit: number): Promise<string[]> {
    const out: string[] = []
    const members = this.rooms.get(room)
    for (const sid of members ?? []) {
      if (out.length >= limit) break
      // A member whose session expired without an ending is dropped here.
      if (this.live.has(sid) && this.session(sid)) out.push(sid)
      else if (!this.ending.has(sid)) members!.delete(sid)
    }
    if (members?.size === 0) this.emptied(room)
    return out
  }

  async append(key: string, data: string, exclude: string | undefined, limits: StoreLimits, origin?: AppendOrigin): Promise<Appended> {
    let log = this.logs.get(key)
    if (!log) this.logs.set(key, (log = { entries: [], head: 0, epoch: newEpoch() }))
    if (origin?.check) {
      const seen = recentOrigin(log.entries, origin.id)
      if (seen !== undefined) return { seq: seen, epoch: log.epoch }
    }
    const entry: LogEntry = exclude === undefined ? { seq: ++log.head, data } : { seq: ++log.head, data, exclude }
    if (origin) entry.origin = origin.id
    log.entries.push(entry)
    // Trim in chunks so the amortised cost stays O(1) per append.
    if (log.entries.length > limits.maxLogLength * 1.25) {
      log.entries.splice(0, log.entries.length - limits.maxLogLength)
    }
    const listeners = this.listeners.get(key)
    if (listeners) {
      // Notifications carry the log's epoch; stored entries (what reads return) do not, as on Redis.
      const notified = { ...entry, epoch: log.epoch }
      if (typeof listeners === 'function') listeners(notified)
      else for (const fn of listeners) fn(notified)
    }
    return { seq: entry.seq, epoch: log.epoch }
  }

  async read(key: string, after: number, limit: number, epoch?: string): Promise<ReadResult> {
    const log = this.logs.get(key)
    if (!log) return { entries: [], first: 1, head: 0, epoch: '' }
    // A cursor beyond the head in the log's own epoch: renew the log (the rule of Logs.read, as READ_ONE).
    if (epoch === log.epoch && after > log.head && log.renewed?.seq !== log.head) {
      log.renewed = { seq: log.head, epoch: log.epoch }
      log.epoch = newEpoch()
    }
    const entries = log.entries
    const first = entries.length ? entries[0]!.seq : log.head + 1
    // Entries are contiguous, so the position of `after + 1` is arithmetic.
    const start = Math.max(0, after + 1 - first)
    const res: ReadResult = { entries: entries.slice(start, start + limit), first, head: log.head, epoch: log.epoch }
    if (log.renewed) res.renewed = { ...log.renewed }
    return res
  }

  async readMany(reads: LogRead[]): Promise<ReadResult[]> {
    return Promise.all(reads.map((r) => this.read(r.key, r.after, r.limit, r.epoch)))
  }

  async head(key: string): Promise<number> {
    return this.logs.get(key)?.head ?? 0
  }

  async position(key: string): Promise<LogPosition> {
    const log = this.logs.get(key)
    return log ? { seq: log.head, epoch: log.epoch } : { seq: 0, epoch: '' }
  }

  subscribe(key: string, listener: (entry: LogEntry | null) => void): Subscription {
    const had = this.listeners.get(key)
    if (!had) this.listeners.set(key, listener)
    else if (typeof had === 'function') this.listeners.set(key, new Set([had, listener]))
    else had.add(listener)
    return { ready: READY, unsubscribe: () => this.unlisten(key, listener) }
  }

  private unlisten(key: string, listener: Listener): void {
    const had = this.listeners.get(key)
    if (had === listener) this.listeners.delete(key)
    else if (typeof had === 'object' && had.delete(listener) && had.size === 0) this.listeners.delete(key)
  }

  async saveCursor(sid: string, cursor: string): Promise<void> {
    const s = this.session(sid)
    if (s) s.record.cursor = cursor
  }

  async addMetrics(bucket: string, counts: Record<string, number>, ttlSeconds: number): Promise<void> {
    let m = this.metrics.get(bucket)
    if (!m) this.metrics.set(bucket, (m = { counts: {}, expiresAt: 0 }))
    m.expiresAt = Date.now() + ttlSeconds * 1000
    for (const [k, v] of Object.entries(counts)) m.counts[k] = (m.counts[k] ?? 0) + v
    // Buckets are few (one per 10 s); dropping expired ones here keeps the map bounded.
    for (const [k, old] of this.metrics) if (old.expiresAt < Date.now()) this.metrics.delete(k)
  }

  async readMetrics(buckets: string[]): Promise<Record<string, number>[]> {
    return buckets.map((b) => ({ ...this.metrics.get(b)?.counts }))
  }

  async setFlag(name: string, ttlSeconds: number): Promise<void> {
    this.flags.set(name, Date.now() + ttlSeconds * 1000)
  }

  async hasFlag(name: string): Promise<boolean> {
    return (this.flags.get(name) ?? 0) > Date.now()
  }

  async pushRecent(name: string, items: string[], max: number, ttlSeconds: number): Promise<void> {
    const now = Date.now()
    const old = this.recent.get(name)
    const kept = old && old.expiresAt > now ? old.items : []
    this.recent.set(name, { items: [...items].reverse().concat(kept).slice(0, max), expiresAt: now + ttlSeconds * 1000 })
    // Lists lapse like Redis keys would; dropping them on write keeps the map bounded by live writers.
    if (this.recent.size > 1000) for (const [k, v] of this.recent) if (v.expiresAt <= now) this.recent.delete(k)
  }

  async readRecent(name: string): Promise<string[]> {
    const r = this.recent.get(name)
    return r && r.expiresAt > Date.now() ? [...r.items] : []
  }

  async appendFeed(data: string, bounds: FeedBounds): Promise<void> {
    this.feed.append(data, bounds)
  }

  async readFeedBefore(through: string | undefined, limit: number): Promise<FeedEntry[]> {
    return this.feed.before(through, limit)
  }

  async readFeedAfter(after: string, limit: number): Promise<FeedEntry[]> {
    return this.feed.after(after, limit)
  }

  /** Nothing to reach: latency 0, never a failed call; memory is this process's heap, where the runtime tells it. */
  async health(): Promise<StoreHealth> {
    const heap = processHeap()
    return { kind: 'memory', latencyMs: 0, ...(heap ? { memory: heap } : {}), errorCount: 0, errors: [] }
  }

  async signal(channel: string, message: string): Promise<void> {
    const listeners = this.signals.get(channel)
    if (listeners) for (const fn of listeners) fn(message)
  }

  onSignal(channel: string, listener: (message: string) => void): () => void {
    return addTo(this.signals, channel, listener)
  }

  async close(): Promise<void> {
    this.listeners.clear()
    this.signals.clear()
  }

  /**
   * A room without members is freed, log and all: a later append starts it again at
   * seq 1 under a new epoch, which streams still holding the old one see as a gap.
   */
  private emptied(room: string): void {
    this.rooms.delete(room)
    this.logs.delete(`r:${room}`)
  }

  private setLive(sid: string, seen: number): void {
    this.live.set(sid, seen)
    this.order.add(sid)
  }

  private dropLive(sid: string): void {
    this.live.delete(sid)
    this.order.delete(sid)
  }

  private session(sid: string): Session | undefined {
    const s = this.sessions.get(sid)
    if (!s) return undefined
    if (s.expiresAt <= Date.now()) {
      this.sessions.delete(sid)
      this.logs.delete(`d:${sid}`)
      // Its rooms are known only here: drop it from them now, so no member set keeps it.
      for (const room of Object.keys(s.record.rooms)) {
        const members = this.rooms.get(room)
        if (members?.delete(sid) && members.size === 0) this.emptied(room)
      }
      return undefined
    }
    return s
  }
}

/** The heap this process uses (Node, Bun, Deno expose process.memoryUsage), with no maximum. */
function processHeap(): { used: number; max: null } | undefined {
  const p = (globalThis as { process?: { memoryUsage?: () => { heapUsed?: number } } }).process
  try {
    const used = p?.memoryUsage?.().heapUsed
    return typeof used === 'number' ? { used, max: null } : undefined
  } catch {
    return undefined
  }
}

/** Rooms counted against roomsPerSession: the broadcast room is not one. */
function roomCount(rooms: Record<string, number>): number {
  let n = 0
  for (const room in rooms) if (room !== '*') n++
  return n
}

/** How far back a re-run looks for its earlier appends. */
export const ORIGIN_LOOKBACK = 500

function recentOrigin(entries: LogEntry[], origin: string): number | undefined {
  for (let i = entries.length - 1; i >= Math.max(0, entries.length - ORIGIN_LOOKBACK); i--) {
    if (entries[i]!.origin === origin) return entries[i]!.seq
  }
  return undefined
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): () => void {
  let set = map.get(key)
  if (!set) map.set(key, (set = new Set()))
  set.add(value)
  return () => {
    set!.delete(value)
    if (set!.size === 0 && map.get(key) === set) map.delete(key)
  }
}

/**
 * Records are copied in and out, as a networked store would serialise them: through JSON, which is
 * what the Redis store keeps, so both stores hand back the same values.
 */
function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T)
}

export function memoryStore(): Store {
  return new MemoryStore()
}
