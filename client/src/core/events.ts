/**
 * Typed events, in socket.io's EventsMap style:
 *
 *   interface ServerToClient { chat: (msg: Msg) => void; ping: (n: number, ack: (reply: string) => void) => void }
 *   interface ClientToServer { chat: (msg: Msg, ack: (reply: 'ok') => void) => void }
 *   const socket = connect<ServerToClient, ClientToServer>('/api/socket')
 *
 * One payload per event travels on the wire; the trailing function, if any,
 * is the ack.
 */
import type { SocketServeError } from '../protocol/errors.js'
import type { DisconnectReason } from './reasons.js'
import type { StateChange } from './state.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface EventsMap { [event: string]: any }

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface DefaultEventsMap { [event: string]: (...args: any[]) => void }

export type EventNames<M extends EventsMap> = keyof M & string

/** Events the socket itself emits. */
export interface ReservedEvents {
  connect: () => void
  disconnect: (reason: DisconnectReason) => void
  connect_error: (err: SocketServeError) => void
  reconnect_attempt: (attempt: number) => void
  reconnect: (attempt: number) => void
  reconnect_failed: () => void
  /** Messages were lost (trimmed past the replay window): `keys` are the logs, when the server said which. */
  gap: (info: { keys: string[] }) => void
  /** An emit without ack was refused by the server (400, 403, 413...) or lost with its session (SESSION_LOST). */
  error: (err: SocketServeError, info: { event: string }) => void
  /** The connection state changed. */
  state: (change: StateChange) => void
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any

/**
 * Parameters of an emit: the event's parameters, as declared in the map. An untyped map (any
 * string is an event) gives `[data, ack]` outright: the test does not depend on the event name,
 * so TypeScript resolves it before inference and the ack callback's parameter is contextually
 * typed (`emit('chat', data, (reply) => ...)` compiles under `strict`, as in socket-serve 0.x).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventParams<M extends EventsMap, E extends EventNames<M>> = string extends keyof M ? UntypedParams : M[E] extends AnyFn ? Parameters<M[E]> : any[]

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type UntypedParams = [data?: any, ack?: (reply: any) => void] | [ack: (reply: any) => void]

/** The payload of an event: its first parameter (`any` when the map does not say). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventPayload<F> = F extends (...args: infer A) => any ? (A extends [infer D, ...unknown[]] ? (D extends AnyFn ? undefined : D) : any) : any

/** What the ack of an event carries: the first parameter of its trailing callback. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AckReply<F> = F extends (...args: infer A) => any ? (A extends [...unknown[], (reply: infer R, ...rest: any[]) => any] ? R : any) : any

/** Parameters of `timeout(ms).emit`: the trailing ack becomes error-first, `(err, reply)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TimeoutEventParams<M extends EventsMap, E extends EventNames<M>> = string extends keyof M
  ? [data?: any, ack?: (err: SocketServeError | null, reply?: any) => void] | [ack: (err: SocketServeError | null, reply?: any) => void] // eslint-disable-line @typescript-eslint/no-explicit-any
  : M[E] extends (...args: infer A) => any
  ? A extends [...infer Head, (reply: infer R, ...rest: any[]) => any] // eslint-disable-line @typescript-eslint/no-explicit-any
    ? [...Head, (err: SocketServeError | null, reply?: R) => void]
    : A
  : any[] // eslint-disable-line @typescript-eslint/no-explicit-any
