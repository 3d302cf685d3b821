/**
 * The one error table shared by server and client. Every refusal the server
 * sends is `{ "error": { "code", "message" } }` with the status listed here;
 * the client surfaces the same codes on `SocketServeError`.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  INVALID_NAME: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SESSION_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** a request took longer to arrive than the server waits (a body sent too slowly) */
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  /** a per-client bound of `serve({ limits })` was reached (rooms, pending acks, live sessions) */
  LIMIT_EXCEEDED: 429,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  // Never sent as an HTTP status: they travel inside an ack or stay client-side.
  HANDLER_ERROR: 500,
  /** the instance running this message stopped mid-way: it ran at most once, its outcome is unknown */
  INTERRUPTED: 500,
  UNKNOWN_EVENT: 404,
  /** a payload (or a handler's ack) refused by the event's schema (serve({ events })) */
  VALIDATION: 400,
  ACK_TIMEOUT: 408,
  CONNECTION_FAILED: 0,
  DISCONNECTED: 0,
  /**
   * the session ended (beyond its recovery window) while this message was on its way:
   * whether it ran is unknown, and it is not sent again under a new session
   */
  SESSION_LOST: 0,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface ErrorBody {
  error: { code: ErrorCode; message: string }
}

export class SocketServeError extends Error {
  readonly code: ErrorCode
  readonly status: number
  /** Seconds to wait before retrying, when the server said so (429, 503). */
  readonly retryAfter?: number

  constructor(code: ErrorCode, message: string, options: { status?: number; retryAfter?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SocketServeError'
    this.code = code
    this.status = options.status ?? ERROR_STATUS[code]
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message } }
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value)
}

/** Reads an error body the server sent; anything else becomes a generic error with the status. */
export function errorFromBody(status: number, body: unknown, retryAfter?: number): SocketServeError {
  const e = (body as Partial<ErrorBody> | null)?.error
  if (e && isErrorCode(e.code) && typeof e.message === 'string') {
    return new SocketServeError(e.code, e.message, { status, retryAfter })
  }
  return new SocketServeError(status >= 500 ? 'INTERNAL' : 'BAD_REQUEST', `HTTP ${status}`, { status, retryAfter })
}
