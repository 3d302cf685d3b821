// The shapes of the inspector API (handler/INSPECTOR.md). Walls speak these, whatever carries them.

export interface Totals {
  /** exact number of live sessions, however many the snapshot lists */
  sessions: number
  listed?: number
  connected: number
  rooms: number
  queued: number
}

export interface SessionInfo {
  id: string
  user?: unknown
  transport?: string
  connectedAt?: number
  lastSeen?: number
  connected: boolean
  /** see INSPECTOR.md: thresholds of each state */
  health?: Health
  streamSeenAt?: number
  unreadBytes?: number
  /** the instance whose stream last reported for it (an id of the instance list) */
  instance?: string
  /** the client's address at connect, as the platform reported it */
  address?: string
  /** the client's User-Agent at connect */
  userAgent?: string
  rooms: string[]
  state?: unknown
  queued: number
}

export type Health = 'live' | 'stale' | 'never-streamed' | 'not-reading' | 'backlog'

export interface RoomInfo {
  name: string
  members: string[]
}

export interface Snapshot {
  time: number
  pingInterval?: number
  readonly: boolean
  totals: Totals
  sessions: SessionInfo[]
  rooms: RoomInfo[]
}

/** A message stored for a session that its client has not received yet. */
export interface QueuedMessage {
  /** `d` for the session's direct log, `r:<room>` for a room log. */
  log: string
  seq: number
  event: string
  data?: unknown
}

export interface SessionError {
  at: number
  kind: ErrorKind
  code: string
  message?: string
  event?: string
}

export interface SessionDetail extends SessionInfo {
  messages: QueuedMessage[]
  /** its last errors, newest first */
  errors?: SessionError[]
}

export interface RateBucket {
  /** Bucket start, ms since the epoch. */
  t: number
  in: number
  out: number
  errors?: number
}

export interface HistogramBucket {
  /** Upper bound in ms, or `+Inf`. Counts are per bucket, not cumulative. */
  le: number | '+Inf'
  count: number
}

export type AckDirection = 'client' | 'server'

export interface AckStat {
  event: string
  direction: AckDirection
  /** client: time in the server handler; server: emitWithAck to ack (round trip) */
  measures?: 'handler time' | 'round trip'
  count: number
  /** of which failed */
  failed?: number
  /** null: beyond the last histogram bound */
  p50: number | null
  p95: number | null
  p99: number | null
  histogram: HistogramBucket[]
}

export type ErrorKind = 'handler' | 'handler-timeout' | 'ack-timeout' | 'refused'

export interface ErrorStat {
  kind: ErrorKind
  code: string
  event?: string
  room?: string
  route?: string
  count: number
  /** per second over the complete buckets */
  rate: number
  /** in the last complete bucket */
  last: number
}

export interface Metrics {
  time: number
  bucketSeconds: number
  /** complete buckets only */
  rates: RateBucket[]
  current?: RateBucket & { elapsedMs: number }
  percentiles?: { method: string; bounds: number[] }
  acks: AckStat[]
  errors?: ErrorStat[]
}

export type FeedEventType =
  | 'connect'
  | 'disconnect'
  | 'join'
  | 'leave'
  | 'message:in'
  | 'message:out'
  | 'ack'
  | 'error'

export const FEED_EVENT_TYPES: readonly FeedEventType[] = [
  'connect',
  'disconnect',
  'join',
  'leave',
  'message:in',
  'message:out',
  'ack',
  'error',
]

export interface FeedEvent {
  type: FeedEventType
  sid?: string
  event?: string
  room?: string
  data?: unknown
  latency?: number
  direction?: AckDirection
  reason?: string
  kind?: ErrorKind
  code?: string
  route?: string
  /** message:in: the client's message id (with sid, it names the message) */
  message?: number
  /** message:in of a message its client wanted acked: how the handler ended, and its time */
  ack?: AckResult
  /** the server's row id (`<entry>.<index>`): unique, ordered; the `before` of a history page */
  id?: string
  at: number
}

export interface AckResult {
  status: 'ok' | 'error' | 'timeout'
  code?: string
  message?: string
  /** time in the handler */
  ms: number
}

/** `GET _inspector/feed`: a page of the feed history, newest first. */
export interface FeedPage {
  time: number
  events: FeedEvent[]
  /** the `before` of the next (older) page; null: the history ends there */
  next: string | null
  /** history entries the server read for this page (a search reads a bounded number) */
  scanned: number
  /** events the server did not keep (over an instance's budget) among those read */
  dropped: number
}

export interface FeedQuery {
  before?: string
  q?: string
  limit?: number
}

/** `GET _inspector/sessions`: one page; `next` is the cursor of the following one (null: the end). */
export interface SessionPage {
  time: number
  /** exact number of live sessions */
  total: number
  sessions: SessionInfo[]
  /** records the server read for this page (a filtered page reads at most 2,000) */
  scanned: number
  next: number | null
}

/** `seen`: least recently seen first (the live index's order); `recent`: most recently seen first. */
export type SessionSort = 'seen' | 'recent'

export interface SessionPageQuery {
  limit?: number
  cursor?: number
  q?: string
  health?: Health
  sort?: SessionSort
}

/** One instance of the server, by its last heartbeat (INSPECTOR.md, instance list). */
export interface InstanceInfo {
  id: string
  version: string
  /** streams open on it at its last heartbeat */
  streams: number
  /** its last heartbeat, ms epoch */
  at: number
  startedAt: number
  /** the instance that answered this request */
  self: boolean
  /** `silent`: not heard from within a minute (or two heartbeats) */
  status: 'live' | 'silent'
}

/** The store's own health, as the instance that answered sees it. */
export interface StoreHealth {
  kind: 'memory' | 'redis' | 'upstash'
  /** one PING's round trip, ms; null: it failed */
  latencyMs: number | null
  /** bytes; max null: no limit set */
  memory?: { used: number; max: number | null; policy?: string }
  /** failed store calls on that instance since it started */
  errorCount: number
  /** the last of them, newest first */
  errors: { at: number; message: string }[]
}

/** `GET _inspector/instances`: the instances heard from lately, newest first, and the store's health (null: the store tells none). */
export interface InstancesReport {
  time: number
  instances: InstanceInfo[]
  store: StoreHealth | null
}

/** `GET _inspector/actions`: the admin action log, newest first. */
export interface AdminAction {
  at: number
  /** the token holder's client address */
  by: string
  action: 'emit' | 'disconnect'
  /** `sid:<id>`, `room:<name>` or `all` */
  target: string
  event?: string
  /** how many sessions it reached */
  sessions: number
}

export type EmitTarget = { sid: string } | { room: string } | { all: true }

export type InspectorRequest =
  | { type: 'snapshot'; limit?: number; sort?: SessionSort }
  | { type: 'session'; id: string }
  | ({ type: 'sessions' } & SessionPageQuery)
  | { type: 'metrics' }
  | ({ type: 'feed' } & FeedQuery)
  | { type: 'instances' }
  | { type: 'actions' }
  | { type: 'emit'; to: EmitTarget; event: string; data?: unknown }
  | { type: 'disconnect'; sid: string }

export interface InspectorResponses {
  snapshot: Snapshot
  session: SessionDetail
  sessions: SessionPage
  metrics: Metrics
  feed: FeedPage
  instances: InstancesReport
  actions: { actions: AdminAction[] }
  emit: { ok: true; sessions?: number }
  disconnect: { ok: true; sessions?: number }
}

export type InspectorResponse<R extends InspectorRequest = InspectorRequest> =
  InspectorResponses[R['type']]

/** The live feed's connection, for the status dot. */
export type FeedStatus = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** A refusal, with the `code` of the error table (`UNAUTHORIZED`, `FORBIDDEN`, ...). */
export class InspectorError extends Error {
  readonly code: string
  readonly status: number | undefined

  constructor(code: string, message: string, status?: number) {
    super(message)
    this.name = 'InspectorError'
    this.code = code
    this.status = status
  }
}
