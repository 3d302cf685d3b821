/**
 * Typed events, as Socket.IO types them, shared by server and client: a map from event name to
 * a function type whose first parameter is the payload and whose trailing callback, if any, is
 * the ack. `interface` or `type` both work (the constraint is an index signature of `any`).
 *
 *   interface ClientToServerEvents { chat: (msg: Msg, ack: (reply: Reply) => void) => void }
 *   interface ServerToClientEvents { ping: (n: number, ack: (pong: string) => void) => void }
 *   const io = serve<ClientToServerEvents, ServerToClientEvents, SocketData>()
 *   const socket = connect<ServerToClientEvents, ClientToServerEvents>('/api/socket')
 *
 * Types only: nothing here exists at run time.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface EventsMap { [event: string]: any }

/** What an untyped server or client uses: any event, any payload, any ack. */
export interface DefaultEventsMap { [event: string]: (...args: any[]) => any }

/** Session state kept with `socket.set` / read with `socket.get` (Socket.IO's `SocketData`). */
export interface DefaultSocketData { [key: string]: any }

export type EventNames<M extends EventsMap> = keyof M & string

type AnyFn = (...args: any[]) => any
type IsAny<T> = 0 extends 1 & T ? true : false

/** The payload of an event: its first parameter (`undefined` when it has none, `any` when the map does not say). */
export type EventPayload<F> = F extends (...args: infer A) => any
  ? A extends [infer D, ...unknown[]]
    ? D extends AnyFn
      ? undefined
      : D
    : A extends [] ? undefined : any
  : any

/**
 * What the ack of an event carries: the first parameter of its trailing callback. A map written
 * server-style, `add: (n: Nums) => number`, gives the return type instead.
 */
export type AckReply<F> = F extends (...args: infer A) => infer Ret
  ? A extends [...unknown[], (reply: infer R, ...rest: any[]) => any]
    ? R
    : Awaited<Ret>
  : any

/** The arguments of a server emit: the payload, optional when the event has none. */
export type PayloadArgs<F> = IsAny<EventPayload<F>> extends true
  ? [data?: any]
  : [EventPayload<F>] extends [undefined]
    ? [data?: undefined]
    : undefined extends EventPayload<F>
      ? [data?: EventPayload<F>]
      : [data: EventPayload<F>]

/**
 * Parameters of a client emit: the event's parameters, as declared in the map. An untyped map (any
 * string is an event) gives `[data, ack]` outright: the test does not depend on the event name, so
 * TypeScript resolves it before inference and the ack callback's parameter is contextually typed
 * (`emit('chat', data, (reply) => ...)` compiles under `strict`, as in socket-serve 0.x); a second
 * payload, which would not travel, is a type error.
 */
export type EventParams<M extends EventsMap, E extends EventNames<M>> = string extends keyof M
  ? [data?: any, ack?: (reply: any) => void] | [ack: (reply: any) => void]
  : M[E] extends AnyFn ? Parameters<M[E]> : any[]

/** Parameters of `timeout(ms).emit`: the trailing ack becomes error-first, `(err, reply)`. */
export type TimeoutEventParams<M extends EventsMap, E extends EventNames<M>, Err = Error> = string extends keyof M
  ? [data?: any, ack?: (err: Err | null, reply?: any) => void] | [ack: (err: Err | null, reply?: any) => void]
  : M[E] extends (...args: infer A) => any
  ? A extends [...infer Head, (reply: infer R, ...rest: any[]) => any]
    ? [...Head, (err: Err | null, reply?: R) => void]
    : A
  : any[]
