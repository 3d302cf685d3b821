import { SocketServeError } from '@socket-serve/client/protocol'
import type { Sessions } from '../store/types.js'

/**
 * Bounds on what one client can make the server hold (DESIGN §5, `serve({ limits })`). Each has a
 * default that stops a flood yet lets one machine open 1,000 clients in a burst (CI, benchmarks,
 * many clients behind one load balancer). 0 turns a bound off.
 */
export interface Limits {
  /** new sessions per minute from one client address (default 6000); over it: 429 RATE_LIMITED with Retry-After */
  connectsPerMinute: number
  /** live sessions in total, across instances (default 100000); over it: 429 LIMIT_EXCEEDED */
  sessions: number
  /** rooms one session may be in (default 1000); a join over it throws LIMIT_EXCEEDED */
  roomsPerSession: number
  /** open streams (SSE or poll) per session on one instance (default 1): a new one replaces the oldest */
  streamsPerSession: number
  /** server -> client acks (emitWithAck) awaited per session on one instance (default 1000); over it: LIMIT_EXCEEDED */
  pendingAcksPerSession: number
  /** distinct ack-latency metric keys (event x direction x bucket) per 10 s (default 1000, inspector only); the rest count as "(other)" */
  metricKeys: number
  /** bytes queued for a stream whose client stopped reading before its connection is dropped (default 1 MB) */
  streamBuffer: number
  /** ms a request body may take to arrive on the Node adapter (default 10000); over it: 408 and the connection is closed */
  bodyTimeout: number
}

export const DEFAULT_LIMITS: Limits = {
  connectsPerMinute: 6000,
  sessions: 100_000,
  roomsPerSession: 1000,
  streamsPerSession: 1,
  pendingAcksPerSession: 1000,
  metricKeys: 1000,
  streamBuffer: 1024 * 1024,
  bodyTimeout: 10_000,
}

/** The options' limits over the defaults; 0 (or a negative number) means no bound. */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS }
  for (const key of Object.keys(out) as (keyof Limits)[]) {
    const v = given[key]
    if (v === undefined) continue
    out[key] = Number.isFinite(v) && v > 0 ? Math.floor(v) : Infinity
  }
  return out
}

/** A bound as a store script takes it: 0 for none. */
export const storeBound = (n: number): number => (Number.isFinite(n) ? n : 0)

/** Addresses are keys in the store: long or odd strings from a hook are cut to a bounded name. */
export function addressKey(address: string | undefined): string | undefined {
  if (!address) return undefined
  return address.length <= 64 ? address : address.slice(0, 64)
}

/**
 * Admits a connect or throws the refusal: 429 RATE_LIMITED (Retry-After) when the address is over
 * `connectsPerMinute`, 429 LIMIT_EXCEEDED when `sessions` are live. No bound on: no store call.
 */
export async function admitConnect(store: Pick<Sessions, 'admitConnect'>, limits: Limits, address: string | undefined): Promise<void> {
  const bounds = { sessions: storeBound(limits.sessions), perAddress: address ? storeBound(limits.connectsPerMinute) : 0, windowMs: 60_000 }
  if (bounds.sessions === 0 && bounds.perAddress === 0) return
  const verdict = await store.admitConnect(address, bounds)
  if (verdict.admitted) return
  const retryAfter = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))
  if (verdict.reason === 'address') {
    throw new SocketServeError('RATE_LIMITED', `at most ${limits.connectsPerMinute} connects per minute from one address (limits.connectsPerMinute)`, { retryAfter })
  }
  throw new SocketServeError('LIMIT_EXCEEDED', `the server holds its maximum of ${limits.sessions} sessions (limits.sessions)`, { retryAfter })
}
