/**
 * The Store is all the state socket-serve has. Every instance is stateless:
 * whatever one instance writes here, any other can read. memoryStore() is the
 * embedded default; the Redis store implements the same semantics.
 *
 * Log keys: `d:<sid>` (a session's direct log) and `r:<room>` (a room; `r:*` is
 * the broadcast log every session joins). Each log numbers its entries 1, 2, 3...
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
  transport: string
  createdAt: number
  lastSeen: number
  /** where the session's last stream got to (encoded cursor), for the inspector's queued counts */
  cursor?: string
}

export interface LogEntry {
  seq: number
  /** a JSON message frame, or a control entry starting with '!' */
  data: string
  /** a session that must not receive this entry (broadcast from that session) */
  exclude?: string
  /** the handler run that appended it (`<sid>:<message id>:<emit index>`), for re-runs */
  origin?: string
}

/** Tags an append with the handler run that made it; `check`: skip it if that origin is already in the log. */
export interface AppendOrigin {
  id: string
  check: boolean
}

export interface ReadResult {
  entries: LogEntry[]
  /** seq of the oldest entry the log still keeps (head + 1 when empty) */
  first: number
  /** seq of the newest entry ever appended (0 for a new log) */
  head: number
}

export interface BatchClaim {
  /** false when the session is gone or the token is wrong: nothing was claimed */
  authorized?: boolean
  /** message ids never run before: run them now */
  fresh: number[]
  /** the stored ack replies (JSON) when this exact batch already finished */
  acks: string | null
  /** this exact batch was claimed but has not finished yet (a concurrent retry) */
  pending: boolean
  /** the fresh ids were claimed before and given back (releaseBatch): their emits may be in the logs */
  rerun?: boolean
  /** set when the session's rate limit refused the batch: ms until it may be sent again */
  retryAfterMs?: number
  /**
   * this exact batch was claimed `staleAfter` ago and never finished: its instance
   * stopped mid-way. It is not run again (its handlers may have had effects); the
   * caller answers it as interrupted.
   */
  interrupted?: boolean
}

/** Per-session rate limit: at most `limit` messages per fixed window of `windowMs`. */
export interface RateLimit {
  limit: number
  windowMs: number
}

export type ClaimLimits = StoreLimits & {
  /** a claim left unfinished this long (ms) is given out again: its instance died */
  staleAfter: number
  rate?: RateLimit
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

export interface Store {
  /** the store was created by serve() and is closed with it */
  readonly ownedByServer?: boolean

  createSession(record: SessionRecord, limits: StoreLimits): Promise<void>
  getSession(sid: string): Promise<SessionRecord | null>
  /** merges into state; false when the session is gone */
  setState(sid: string, patch: Record<string, unknown>, limits: StoreLimits): Promise<boolean>
  /** refreshes last seen (and the TTL) of sessions with a live stream or request */
  touch(sids: string[], now: number, limits: StoreLimits, transport?: string): Promise<void>
  /** sessions last seen before cutoff (ms epoch), at most limit */
  idleSessions(cutoff: number, limit: number): Promise<string[]>
  /** every live session id, at most limit */
  sessionIds(limit: number): Promise<string[]>
  /** atomically takes the session out of the live index: true for exactly one caller */
  endSession(sid: string): Promise<boolean>
  /** removes the session record, its direct log and its idempotency record */
  deleteSession(sid: string): Promise<void>

  /**
   * Records that messages `ids` (increasing) are being run; see BatchClaim. A
   * claim left unfinished for `staleAfter` ms (its instance died) comes back as
   * `interrupted`, once. With `rate`, fresh messages are counted in the same step, and a batch
   * over the limit is refused whole (nothing claimed, retryAfterMs set); the
   * first batch of a window always passes, so no batch is refused forever.
   */
  claimBatch(sid: string, token: string, ids: number[], now: number, limits: ClaimLimits): Promise<BatchClaim>
  /** stores the ack replies of a claimed batch, for retries */
  finishBatch(sid: string, ids: number[], acks: string): Promise<void>
  /** gives back an unfinished claim (its handlers failed on the store): a retry runs the batch again */
  releaseBatch(sid: string, ids: number[]): Promise<void>

  /** adds sid to the room; returns the room log's head seq at the moment of joining */
  joinRoom(sid: string, room: string, limits: StoreLimits): Promise<number>
  /** removes sid from the room; returns the room log's head seq at the moment of leaving */
  leaveRoom(sid: string, room: string, limits: StoreLimits): Promise<number>
  members(room: string, limit: number): Promise<string[]>

  /**
   * Appends an entry and notifies subscribers of the key, atomically; returns its seq.
   * With `origin.check`, an entry of that origin among the log's recent entries is
   * returned instead of appending again.
   */
  append(key: string, data: string, exclude: string | undefined, limits: StoreLimits, origin?: AppendOrigin): Promise<number>
  read(key: string, after: number, limit: number): Promise<ReadResult>
  head(key: string): Promise<number>
  /**
   * Entries appended to `key` from now on, on any instance. The server keeps at
   * most one subscription per key per instance and fans out locally. The
   * listener gets `null` when notifications may have been missed (the store
   * reconnected): listeners then re-read the log from their cursor.
   */
  subscribe(key: string, listener: (entry: LogEntry | null) => void): Subscription

  /** records how far the session's stream got (an encoded cursor) */
  saveCursor(sid: string, cursor: string, limits: StoreLimits): Promise<void>

  /** adds to the counters of one metrics bucket (kept ttlSeconds) */
  addMetrics(bucket: string, counts: Record<string, number>, ttlSeconds: number): Promise<void>
  readMetrics(buckets: string[]): Promise<Record<string, number>[]>
  /** a flag that lapses after ttlSeconds unless set again (e.g. "an inspector is watching") */
  setFlag(name: string, ttlSeconds: number): Promise<void>
  hasFlag(name: string): Promise<boolean>

  /** fire-and-forget signal to whichever instance listens on `channel` (acks) */
  signal(channel: string, message: string): Promise<void>
  onSignal(channel: string, listener: (message: string) => void): () => void

  close(): Promise<void>
}
