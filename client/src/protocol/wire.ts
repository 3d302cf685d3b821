/**
 * Wire format shared by the handler and the client. See handler/PROTOCOL.md.
 */

/** Headers every request for an existing session carries. */
export const SID_HEADER = 'x-socket-sid'
export const TOKEN_HEADER = 'x-socket-token'
/** The resume cursor, as SSE's Last-Event-ID (composite: one position per log, see CursorId). */
export const CURSOR_HEADER = 'last-event-id'

export const PROTOCOL_VERSION = 1

/** Log keys as the client sees them: `d` (its direct log), `r:<room>` (a room, `r:*` for everyone). */
export const DIRECT_KEY = 'd'
export const BROADCAST_ROOM = '*'
export const roomKey = (room: string) => `r:${room}`

export type Transport = 'sse' | 'polling'

/** Cursor: for each log key, the sequence number of the last entry received (the inspector's saved form). */
export type Cursor = Map<string, number>

/** `d=12,r%3Alobby=40`: keys are URI-encoded so any room name fits in a header. */
export function encodeCursor(cursor: Cursor): string {
  const parts: string[] = []
  for (const [key, seq] of cursor) parts.push(`${encodeURIComponent(key)}=${seq}`)
  return parts.join(',')
}

/** Lenient: malformed pairs are skipped, so a bad header can only replay more, never skip. */
export function decodeCursor(text: string | null | undefined, maxKeys = 1024): Cursor {
  const cursor: Cursor = new Map()
  if (!text) return cursor
  for (const part of text.split(',', maxKeys)) {
    const eq = part.lastIndexOf('=')
    if (eq <= 0) continue
    const seq = Number(part.slice(eq + 1))
    if (!Number.isSafeInteger(seq) || seq < 0) continue
    let key: string
    try {
      key = decodeURIComponent(part.slice(0, eq))
    } catch {
      continue
    }
    cursor.set(key, seq)
  }
  return cursor
}

/**
 * A stream cursor as it travels in a message frame's `id:` and back in
 * Last-Event-ID: `<mark>.<key><seq><epoch>...`, e.g. `QxTb.d13Hq.*7Zu.KfTqzLmB41Ma`.
 * The mark names the session; keys are `d` (direct), `*` (broadcast) or a room's
 * tag, never containing a digit or `.`, so each key ends where its seq begins.
 * The epoch (letters after the seq) names the incarnation of the log: a log
 * that was lost and started again has another, so its seqs are not compared
 * with the old one's. In a frame's id the frame's own log comes first. Room tags
 * are the server's to derive (see PROTOCOL.md): to the client every key is opaque.
 */
export interface CursorId {
  mark: string
  /** seq per key, in the order of the text (a key given twice keeps its lowest seq) */
  positions: Map<string, number>
  /** the epoch each position is in, for the entries that carry one */
  epochs: Map<string, string>
}

/** Lenient: a malformed entry is skipped, so a bad id can only replay more, never skip. */
export function parseCursorId(text: string | null | undefined, maxKeys = 1100): CursorId | undefined {
  if (!text) return undefined
  const parts = text.split('.', maxKeys + 1)
  const mark = parts[0]!
  if (!mark || /[\d=,]/.test(mark)) return undefined
  const positions = new Map<string, number>()
  const epochs = new Map<string, string>()
  for (let i = 1; i < parts.length; i++) {
    const entry = cursorEntry(parts[i]!)
    if (!entry) continue
    const [key, seq, epoch] = entry
    const seen = positions.get(key)
    if (seen !== undefined && seq >= seen) continue
    positions.set(key, seq)
    if (epoch) epochs.set(key, epoch)
    else epochs.delete(key)
  }
  return { mark, positions, epochs }
}

/** One `<key><seq><epoch>` entry: the key is everything before the first digit, the epoch the letters after the seq ('' when none). */
export function cursorEntry(entry: string): [key: string, seq: number, epoch: string] | undefined {
  const m = /^(\D+?)(\d{1,15})([A-Za-z]{0,8})$/.exec(entry)
  return m ? [m[1]!, Number(m[2]), m[3]!] : undefined
}

/** The log a frame belongs to, its seq and epoch: the first entry of the frame's id. */
export function frameEntry(id: string): [key: string, seq: number, epoch: string] | undefined {
  const start = id.indexOf('.') + 1
  if (start === 0) return undefined
  const end = id.indexOf('.', start)
  return cursorEntry(end === -1 ? id.slice(start) : id.slice(start, end))
}

/** Frame payloads (the SSE `data:` line, one JSON object). */
export interface MessageFrame {
  /** event name */
  e: string
  /** payload */
  d: unknown
  /** ack id, present when the server awaits an ack (emitWithAck) */
  a?: string
}

export interface OpenFrame {
  c: 'open'
  sid: string
  /** false when some entries were lost beyond the replay window (or the session is new) */
  recovered: boolean
  pingInterval: number
}

export interface DisconnectFrame {
  c: 'disconnect'
  /** a DisconnectFrameReason; only `io server disconnect` means the client must not come back */
  reason: string
}

/**
 * Why the server ended a session, as the `disconnect` frame says it. Only a kick
 * (`io server disconnect`: socket.disconnect() or an admin action) stops the client;
 * any other ending (the sweep took the client for gone, the session ended while the
 * client was away) makes it reconnect, as a lost transport does.
 */
export const DisconnectFrameReason = {
  Kick: 'io server disconnect',
  ClientDisconnect: 'io client disconnect',
  PingTimeout: 'ping timeout',
} as const

/** True when a `disconnect` frame with this reason means "do not reconnect". */
export const isKick = (reason: string): boolean => reason === DisconnectFrameReason.Kick

/**
 * Sent on an open stream when it finds entries it should have delivered are gone
 * (trimmed past the replay window, or a log that restarted): the client sets
 * `recovered = false` and tells the application.
 */
export interface GapFrame {
  c: 'gap'
  /** the client log keys (`d`, `r:<room>`) that lost entries */
  keys: string[]
}

/**
 * Ends one stream, not the session: a newer stream of the same session took its place
 * (`limits.streamsPerSession`). Not a kick: a client that still wants this session opens a new
 * stream as after any planned cut.
 */
export interface CloseFrame {
  c: 'close'
  reason: 'replaced'
}

export type ServerFrame = MessageFrame | OpenFrame | DisconnectFrame | GapFrame | CloseFrame

/** Client -> server message batch (`POST {base}/message`). */
export interface OutgoingMessage {
  /** positive integer, increasing per session: the server runs each id once */
  id: number
  event: string
  data?: unknown
  /** true when the client wants an ack */
  ack?: boolean
}

export interface MessageBatch {
  messages: OutgoingMessage[]
  /** every message up to this id was answered (sent by clients with several POSTs in flight) */
  answered?: number
}

export interface AckResult {
  id: number
  data?: unknown
  error?: { code: string; message: string }
}

export interface MessageBatchReply {
  acks: AckResult[]
  /**
   * Present when the server ran only the first part of the batch (the session's
   * rate limit admits no more now): messages with id >= `from` did not run and
   * must be sent again, same ids, after `retryAfter` seconds.
   */
  deferred?: { from: number; retryAfter: number }
}

/** Client -> server acks of server emitWithAck (`POST {base}/ack`). */
export interface AckBatch {
  acks: { id: string; data?: unknown }[]
}

export interface ConnectRequest {
  auth?: unknown
  transport?: Transport
}

export interface ConnectReply {
  sid: string
  token: string
  /** good only for GET {base}/sse and /poll as `?sid=&st=`, for clients that cannot send headers */
  streamToken: string
  pingInterval: number
  pingTimeout: number
  maxPayload: number
  transports: Transport[]
  protocol: number
  /** most messages one POST {base}/message may carry (the client splits larger bursts) */
  maxBatch?: number
  /**
   * POSTs {base}/message a client may keep in flight at once: each then says which messages it
   * had answered (`answered`), and the server starts handlers in emit order. Absent: one at a time.
   */
  maxInFlight?: number
}

/** Messages per POST when the server does not say. */
export const DEFAULT_MAX_BATCH = 1000
