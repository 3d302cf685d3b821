import type { Transport as TransportName } from '../protocol/wire.js'
import type { FetchLike } from './http.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AuthPayload = Record<string, any> | undefined

/**
 * What the connect POST carries as `auth`: an object, or a function called on
 * every (re)connection so a fresh token can be fetched. Both the Promise form
 * `() => Promise<payload>` and Socket.IO's callback form `(cb) => cb(payload)`
 * are accepted.
 */
export type AuthOption = AuthPayload | (() => AuthPayload | Promise<AuthPayload>) | ((cb: (payload: AuthPayload) => void) => void)

/** Options, named as socket.io-client names them. */
export interface ConnectOptions {
  /** Reconnect after the stream is lost or a connection attempt fails. Default true. */
  reconnection?: boolean
  /** Attempts per reconnection series before 'reconnect_failed'. Default Infinity, as socket.io-client. */
  reconnectionAttempts?: number
  /** Base delay (ms) of the exponential backoff. Default 1000. */
  reconnectionDelay?: number
  /** Cap (ms) of the exponential backoff. Default 5000. */
  reconnectionDelayMax?: number
  /**
   * Ack timeout (ms) for `emit` callbacks; none by default. `emitWithAck` uses
   * its own `{ timeout }`, else this, else 10000.
   */
  ackTimeout?: number
  /** Connection timeout (ms) for the connect request. Default 20000. */
  timeout?: number
  /** Transports to try, in order; one that never opened falls through to the next at once. Default ['sse', 'polling']. */
  transports?: TransportName[]
  auth?: AuthOption
  /** Extra headers on every request. */
  headers?: Record<string, string>
  /** fetch implementation. Default globalThis.fetch. */
  fetch?: FetchLike
  /** Connect when created. Default true; otherwise call `socket.connect()`. */
  autoConnect?: boolean
}

export interface ResolvedOptions {
  reconnection: boolean
  reconnectionAttempts: number
  reconnectionDelay: number
  reconnectionDelayMax: number
  ackTimeout: number | undefined
  timeout: number
  transports: TransportName[]
  auth: AuthOption
  headers: Record<string, string>
  fetch: FetchLike
  autoConnect: boolean
}

export const DEFAULT_EMIT_WITH_ACK_TIMEOUT = 10_000

export function resolveOptions(opts: ConnectOptions): ResolvedOptions {
  const custom = opts.fetch
  return {
    reconnection: opts.reconnection ?? true,
    reconnectionAttempts: opts.reconnectionAttempts ?? Infinity,
    reconnectionDelay: opts.reconnectionDelay ?? 1000,
    reconnectionDelayMax: opts.reconnectionDelayMax ?? 5000,
    ackTimeout: opts.ackTimeout,
    timeout: opts.timeout ?? 20_000,
    transports: opts.transports?.length ? [...opts.transports] : ['sse', 'polling'],
    auth: opts.auth,
    headers: { ...opts.headers },
    // Browsers' fetch throws "Illegal invocation" unless called on the global;
    // the default is looked up per call so a fetch patched later is honoured.
    fetch: custom ? (input, init) => custom.call(globalThis, input, init) : (input, init) => globalThis.fetch(input, init),
    autoConnect: opts.autoConnect ?? true,
  }
}

export async function resolveAuth(auth: AuthOption): Promise<AuthPayload> {
  if (typeof auth !== 'function') return auth
  if (auth.length >= 1) return new Promise((resolve) => (auth as (cb: (p: AuthPayload) => void) => void)(resolve))
  return (auth as () => AuthPayload | Promise<AuthPayload>)()
}
