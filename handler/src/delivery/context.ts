import type { Observer } from '../observer.js'
import type { Bus, KeepAliveResult, Logs, StoreLimits } from '../store/types.js'

/**
 * All the delivery layer (Hub, Receiver) uses of the rest of the server: the
 * logs it reads, the bus it listens to, and a few calls back into the session
 * lifecycle. It never sees the ServerCore.
 */
export interface DeliveryContext {
  logs: Pick<Logs, 'read' | 'readMany' | 'saveCursor'>
  bus: Pick<Bus, 'subscribe'>
  /** refreshes the liveness and TTL of sessions with a stream here; resolves with those found ended */
  touch(sids: string[]): Promise<string[]>
  /** refreshes only the live index entry of these sessions, in one store call (see Sessions.keepAlive) */
  keepAlive(sids: string[]): Promise<KeepAliveResult>
  /** sessions ended elsewhere while their stream is live here (a late touch): bring them back */
  revive(sids: string[]): Promise<void>
  /** a sweep, when one is due: heartbeats run it within the streams' lifetime, when keepAlive says it would find work */
  sweepIfDue(): Promise<number> | undefined
  observer: Pick<Observer, 'delivered' | 'wantsCursors' | 'instance' | 'streams'>
  limits: StoreLimits
  /** ms between heartbeats */
  pingInterval: number
  /** ms without a stream or request after which a session is disconnected: paces the keep-alive */
  disconnectTimeout: number
  /** ms a stream may live (0: no limit) */
  maxStreamDuration: number
  /** the runtime forbids I/O shared between requests (Workers): each stream subscribes on its own */
  isolateRequests?: boolean
  /** open streams per session here (limits.streamsPerSession): a new one replaces the oldest */
  streamsPerSession: number
  /** bytes queued for a client that stopped reading before its connection is dropped (limits.streamBuffer) */
  streamBuffer: number
}
