/**
 * The Store is all the state socket-serve has. Every instance is stateless:
 * whatever one instance writes here, any other can read. memoryStore() is the
 * embedded default; the Redis store implements the same semantics.
 *
 * Log keys: `d:<sid>` (a session's direct log) and `r:<room>` (a room; `r:*` is
 * the broadcast log every session joins). Each log numbers its entries 1, 2, 3...
 * and has an epoch, made with the log: a log lost and created again restarts at 1
 * under a new epoch (store/epochs.ts), so streams can tell it from the old one.
 */

export interface SessionRecord {
  sid: string
  token: string
  /** what auth() returned at connect */
  user: unknown
  /** socket.get/set values */
  state: Record<string, unknown>
  /** room -> head seq of the room's log when the session joined ('*' included) */
  rooms: Record<string, number>
  /**
   * room -> the epoch of the room's log at that join position (absent: the log did not exist, or
   * a record from before epochs). A log lost and created again since is not read from the old
   * position: its new entries before that seq would be skipped (see store/epochs.ts).
   */
  roomEpochs?: Record<string, string>
  transport: string
  createdAt: number
  lastSeen: number
  /** where the session's last stream got to (encoded cursor), for the inspector's queued counts */
  cursor?: string
  /** who connected, as the connect request showed it: kept only when an observer asks (the inspector) */
  client?: ClientInfo
  /**
   * set once the session was ended for being idle (onDisconnect ran): the record, logs and
   * message claims stay for the recovery window, and a request with its token revives it
   */
  ended?: string
  /** onDisconnect already ran for the current ending (an ending interrupted mid-way is resumed without it) */
  disconnected?: boolean
}

/** The client of a session, as its connect request showed it (Observer.wantsClients). */
export interface ClientInfo {
  /** as the platform reports it (or serve({ clientAddress })) */
  address?: string
  /** the User-Agent header, at most 256 characters */
  userAgent?: string
}

export interface LogEntry {
  seq: number
  /** a JSON message frame, or a control entry starting with '!' */
  data: string
  /** a session that must not receive this entry (broadcast from that session) */
  exclude?: string
  /** the handler run that appended it (`<sid>:<message id>:<emit index>`), for re-runs */
  origin?: string
  /** the epoch of the log it was appended to (always set on notifications) */
  epoch?: string
}

/** Where an append landed: the entry's seq and the epoch of the log it is in. */
export interface Appended {
  seq: number
  epoch: string
}

/** Tags an append with the handler run that made it; `check`: skip it if that origin is already in the log. */
export interface AppendOrigin {
  id: string
  check: boolean
}

/** A place in a log: a seq and the epoch it is in ('' with seq 0: the log does not exist). */
export interface LogPosition {
  seq: number
  epoch: string
}

export interface ReadResult {
  entries: LogEntry[]
  /** seq of the oldest entry the log still keeps (head + 1 when empty) */
  first: number
  /** seq of the newest entry ever appended (0 for a new log) */
  head: number
  /** the log's epoch: '' while the log does not exist */
  epoch: string
  /**
   * Set when the log was renewed (a read found a cursor beyond its head in its own epoch: the
   * store was rolled back) and nothing has lost it since: the epoch it had, and its head then.
   * Positions in that epoch up to that head are the same entries in this one; any other is not.
   */
  renewed?: LogPosition
}

export interface KeepAliveResult {
  missing: string[]
  sweepDue: boolean
}

/**
 * One log of a readMany: entries of `key` after `after`, at most `limit`. `epoch`: the epoch
 * `after` is in, when the reader knows it (see Logs.read).
 */
export interface LogRead {
  key: string
  after: number
  limit: number
  epoch?: string
}

export type { ClaimOutcome, MessageClaim, MessageStatus, RateLimit } from './claim-model.js'
import type { ClaimOutcome, RateLimit } from './claim-model.js'

/**
 * A claim by someone without the session's token (or on a gone session) changes nothing.
 * `record`: the session's record as the claim left it, when the store returns it (the built-in
 * stores do), so a POST needs no separate read of its session; otherwise it reads it itself.
 */
export type ClaimResult = ({ authorized: true; record?: SessionRecord } & ClaimOutcome) | { authorized: false }

export type ClaimLimits = StoreLimits & {
  /** ms a claimed message's lease lasts unless renewed (store clock) */
  leaseMs: number
  /** the request that claims: only it renews, finishes or gives back its claims */
  owner: string
  rate?: RateLimit
}

/** How a message's handler ended: its reply as stored for retries ('' when sent without ack). */
export interface FinishedMessage {
  id: number
  ack: string
}

export interface Subscription {
  /** resolves once entries appended from now on are certain to be notified */
  ready: Promise<void>
  unsubscribe(): void
}

export interface StoreLimits {
  /** session TTL, seconds: sessions and their logs expire after this long without activity */
  ttl: number
  /** entries kept per log: the replay window */
  maxLogLength: number
}

/** Sessions: records, liveness, endings, claims and room membership (the core's role). */
export interface Sessions {
  createSession(record: SessionRecord, limits: StoreLimits): Promise<void>
  getSession(sid: string): Promise<SessionRecord | null>
  /** merges into state; false when the session is gone */
  setState(sid: string, patch: Record<string, unknown>, limits: StoreLimits): Promise<boolean>
  /**
   * Refreshes only the live index (what the sweep reads) of sessions in it, in one store call however
   * many: an instance's heartbeat for all its streams. `missing`: the sids not in it (ended, ending or
   * gone), for a full touch. `sweepDue`: a sweep with this cutoff would find work (an idle session or
   * a lapsed ending). The record's TTL and lastSeen are left to touch().
   */
  keepAlive(sids: string[], now: number, idleCutoff: number): Promise<KeepAliveResult>
  /** when each session was last seen by the live index (null: not live); the inspector's "connected" */
  seenAt(sids: string[]): Promise<(number | null)[]>
  /** refreshes last seen (and the TTL) of live sessions with a stream or request; returns those found ended */
  touch(sids: string[], now: number, limits: StoreLimits, transport?: string): Promise<string[]>
  /**
   * Sessions due for ending: live ones last seen before cutoff (ms epoch), and endings
   * whose lease ran out (the instance ending them stopped mid-way). At most limit.
   */
  idleSessions(cutoff: number, limit: number): Promise<string[]>
  /** live session ids (ordered by last seen), at most limit, skipping the first `offset` */
  sessionIds(limit: number, offset?: number): Promise<string[]>
  /** how many sessions are live, exactly */
  liveCount(): Promise<number>
  /**
   * Takes the session out of the live index into "ending" under a lease of leaseMs
   * (store clock): true for exactly one caller. With `idleBefore`, only when it was last
   * seen before it (a touch in between keeps it live). A lapsed ending lease is taken again.
   */
  beginEnd(sid: string, leaseMs: number, idleBefore?: number): Promise<boolean>
  /** records that onDisconnect ran for this ending */
  markDisconnected(sid: string): Promise<void>
  /**
   * Completes an ending: with recoverMs > 0 the record, logs and claims are kept that
   * long, marked ended with `reason`; with 0 they are deleted. Leaves the ending index.
   */
  finishEnd(sid: string, reason: string, recoverMs: number): Promise<void>
  /** an ended (recoverable) session becomes live again: true for exactly one caller */
  revive(sid: string, now: number, limits: StoreLimits): Promise<boolean>
  /** removes the session record, its direct log, its claims, from every index */
  deleteSession(sid: string): Promise<void>

  /**
   * claims client messages `ids` (increasing) at the store's clock; `answered`: the client has had
   * every message up to this id answered (a client with several POSTs in flight); see claim-model.ts
   */
  claimMessages(sid: string, token: string, ids: number[], limits: ClaimLimits, answered?: number): Promise<ClaimResult>
  /** extends the leases `owner` holds on messages whose handlers are still running */
  renewLeases(sid: string, ids: number[], leaseMs: number, owner: string): Promise<void>
  /**
   * marks `owner`'s running messages started: their handlers' synchronous parts ran and the writes
   * issued there are stored, so the session's next message may be claimed (see claim-model.ts)
   */
  startMessages(sid: string, ids: number[], owner: string): Promise<void>
  /** records `owner`'s finished messages' replies and gives back those whose handlers failed on the store */
  finishMessages(sid: string, done: FinishedMessage[], released: number[], owner: string): Promise<void>

  /**
   * Adds sid to the room if the session is live (neither ended nor being ended) and, unless it is
   * already a member, in fewer than `maxRooms` rooms (0: no bound; the broadcast room is not
   * counted). Atomic per session: concurrent joins never overshoot, and none lands after the end.
   * Returns the room log's head and epoch at the moment of joining (recorded with the session's
   * rooms, `roomEpochs` included), null (ended) or 'full'.
   */
  joinRoom(sid: string, room: string, limits: StoreLimits, maxRooms?: number): Promise<LogPosition | null | 'full'>
  /** removes sid from the room; returns the room log's head seq at the moment of leaving */
  leaveRoom(sid: string, room: string, limits: StoreLimits): Promise<number>
  /** adds the session back to the member sets of these rooms (revival, connect middleware) */
  restoreMemberships(sid: string, rooms: string[], limits?: StoreLimits): Promise<void>
  /** takes the session out of these rooms' member sets, keeping its record's room list (ending) */
  dropMemberships(sid: string, rooms: string[]): Promise<void>
  /** live members of a room, at most limit (members whose session is gone are dropped) */
  members(room: string, limit: number): Promise<string[]>
  /**
   * Admits a new session: refused when `sessions` are live already, or when `address` made
   * `perAddress` connects in the current window of `windowMs` (0: no bound). An admission is
   * counted; a refusal changes nothing.
   */
  admitConnect(address: string | undefined, bounds: ConnectBounds): Promise<Admission>
}

export interface ConnectBounds {
  /** live sessions in total (0: no bound) */
  sessions: number
  /** connects per window from one address (0: no bound) */
  perAddress: number
  windowMs: number
}

/** 'sessions': too many live; 'address': this address is over its rate, for retryAfterMs. */
export type Admission = { admitted: true } | { admitted: false; reason: 'sessions' | 'address'; retryAfterMs: number }

/** Logs: append-only, numbered, bounded (delivery's and the core's role). */
export interface Logs {
  /**
   * Appends an entry and notifies subscribers of the key (the entry with its epoch),
   * atomically; returns its seq and the log's epoch (so this instance's streams may take the
   * entry before its notification). The first append creates the log under a new epoch.
   * With `origin.check`, an entry of that origin among the log's recent entries is
   * returned instead of appending again.
   */
  append(key: string, data: string, exclude: string | undefined, limits: StoreLimits, origin?: AppendOrigin): Promise<Appended>
  /**
   * Entries after `after`, at most `limit`. `epoch`: the epoch `after` is in, if known. When it is
   * the log's own epoch and `after` is beyond the head, the log lost entries it had numbered while
   * keeping its epoch (the store was rolled back: an older snapshot, a lagging replica promoted):
   * the log is renewed, atomically, under a new epoch (`renewed` says which it continues, up to
   * where), so the seqs numbered again from here are never taken for the lost ones. Not twice
   * at one head: a cursor beyond a head just renewed was never given out by that log.
   */
  read(key: string, after: number, limit: number, epoch?: string): Promise<ReadResult>
  /** read() of several logs, in one store call where the store allows it (a stream's logs, on open) */
  readMany(reads: LogRead[]): Promise<ReadResult[]>
  head(key: string): Promise<number>
  /** the log's head seq and epoch, read together (where a session joins a log) */
  position(key: string): Promise<LogPosition>
  /** records how far the session's stream got (an encoded cursor), for the inspector */
  saveCursor(sid: string, cursor: string, limits: StoreLimits): Promise<void>
}

/** Bus: notifications of appends and signals between instances. */
export interface Bus {
  /**
   * Entries appended to `key` from now on, on any instance. The server keeps at
   * most one subscription per key per instance and fans out locally. The
   * listener gets `null` when notifications may have been missed (the store
   * reconnected): listeners then re-read the log from their cursor.
   */
  subscribe(key: string, listener: (entry: LogEntry | null) => void): Subscription
  /** fire-and-forget signal to whichever instance listens on `channel` (acks) */
  signal(channel: string, message: string): Promise<void>
  onSignal(channel: string, listener: (message: string) => void): () => void
}

/** Metrics and flags: the inspector's role only. */
export interface MetricsStore {
  /** adds to the counters of one metrics bucket (kept ttlSeconds) */
  addMetrics(bucket: string, counts: Record<string, number>, ttlSeconds: number): Promise<void>
  readMetrics(buckets: string[]): Promise<Record<string, number>[]>
  /** a flag that lapses after ttlSeconds unless set again (e.g. "an inspector is watching") */
  setFlag(name: string, ttlSeconds: number): Promise<void>
  hasFlag(name: string): Promise<boolean>
  /** prepends items (oldest first in `items`) to a short list kept newest first, at most `max`, lapsing after ttlSeconds */
  pushRecent(name: string, items: string[], max: number, ttlSeconds: number): Promise<void>
  /** the list pushRecent keeps, newest first ([] when none) */
  readRecent(name: string): Promise<string[]>
  /** how the store itself is doing, for the inspector (optional: a store without it shows none) */
  health?(): Promise<StoreHealth>
}

/** The store's own health (MetricsStore.health), as the inspector shows it. */
export interface StoreHealth {
  kind: 'memory' | 'redis' | 'upstash'
  /** one PING's round trip from this instance, ms (memory: 0); null when it failed */
  latencyMs: number | null
  /**
   * bytes: Redis's used_memory and maxmemory (max null: no maxmemory set) and its eviction policy;
   * the memory store: this process's heap used and its limit where the runtime says
   */
  memory?: { used: number; max: number | null; policy?: string }
  /** store calls from this instance that failed, since it started */
  errorCount: number
  /** the last of them, newest first (at most RECENT_STORE_ERRORS) */
  errors: { at: number; message: string }[]
}

/** How much feed history the store keeps: the newest maxEntries entries, none older than keepMs. */
export interface FeedBounds {
  maxEntries: number
  keepMs: number
}

/** One entry of the feed history: `id` orders entries (store-clock ms, then a sequence: `<ms>-<n>`). */
export interface FeedEntry {
  id: string
  data: string
}

/**
 * The inspector's feed history (inspector only): one capped list of entries (each a batch of
 * feed events, JSON) every instance appends to, trimmed by count and age, read by id.
 */
export interface FeedHistory {
  /** appends one entry under a new id, then trims to `bounds` (approximately: whole blocks at a time) */
  appendFeed(data: string, bounds: FeedBounds): Promise<void>
  /** newest first: entries with ids up to `through` (inclusive; none: from the newest), at most limit */
  readFeedBefore(through: string | undefined, limit: number): Promise<FeedEntry[]>
  /** oldest first: entries with ids after `after` (exclusive), at most limit */
  readFeedAfter(after: string, limit: number): Promise<FeedEntry[]>
}

/** One object may play every role; each consumer names only the roles it uses. */
export interface Store extends Sessions, Logs, Bus, MetricsStore, FeedHistory {
  /** the store was created by serve() and is closed with it */
  readonly ownedByServer?: boolean
  close(): Promise<void>
}
