/**
 * Typed events, in socket.io's EventsMap style (the map types live in protocol/events.ts, shared
 * with the server):
 *
 *   interface ServerToClient { chat: (msg: Msg) => void; ping: (n: number, ack: (reply: string) => void) => void }
 *   interface ClientToServer { chat: (msg: Msg, ack: (reply: 'ok') => void) => void }
 *   const socket = connect<ServerToClient, ClientToServer>('/api/socket')
 *
 * One payload per event travels on the wire; the trailing function, if any, is the ack.
 */
import type { SocketServeError } from '../protocol/errors.js'
import type { EventNames, EventsMap, TimeoutEventParams as Params } from '../protocol/events.js'
import type { DisconnectReason } from './reasons.js'
import type { StateChange } from './state.js'

export type { AckReply, DefaultEventsMap, EventNames, EventParams, EventPayload, EventsMap } from '../protocol/events.js'

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

/** Parameters of `timeout(ms).emit`: the trailing ack becomes error-first, `(err, reply)`. */
export type TimeoutEventParams<M extends EventsMap, E extends EventNames<M>> = Params<M, E, SocketServeError>
