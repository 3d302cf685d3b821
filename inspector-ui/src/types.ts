// The shapes of the inspector API (handler/INSPECTOR.md). Walls speak these, whatever carries them.

export interface Totals {
  sessions: number
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
  rooms: string[]
  state?: unknown
  queued: number
}

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

export interface SessionDetail extends SessionInfo {
  messages: QueuedMessage[]
}

export interface RateBucket {
  /** Bucket start, ms since the epoch. */
  t: number
  in: number
  out: number
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
  count: number
  p50: number
  p95: number
  p99: number
  histogram: HistogramBucket[]
}

export interface Metrics {
  time: number
  bucketSeconds: number
  rates: RateBucket[]
  acks: AckStat[]
}

export type FeedEventType =
  | 'connect'
  | 'disconnect'
  | 'join'
  | 'leave'
  | 'message:in'
  | 'message:out'
  | 'ack'

export const FEED_EVENT_TYPES: readonly FeedEventType[] = [
  'connect',
  'disconnect',
  'join',
  'leave',
  'message:in',
  'message:out',
  'ack',
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
  at: number
}

export type EmitTarget = { sid: string } | { room: string } | { all: true }

export type InspectorRequest =
  | { type: 'snapshot'; limit?: number }
  | { type: 'session'; id: string }
  | { type: 'metrics' }
  | { type: 'emit'; to: EmitTarget; event: string; data?: unknown }
  | { type: 'disconnect'; sid: string }

export interface InspectorResponses {
  snapshot: Snapshot
  session: SessionDetail
  metrics: Metrics
  emit: { ok: true }
  disconnect: { ok: true }
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
