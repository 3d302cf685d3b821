/**
 * @socket-serve/client: Socket.IO-style events over HTTP POST (client ->
 * server) and Server-Sent Events or long-polling (server -> client), on
 * fetch and Web Streams only.
 */
import { ClientSocket } from './core/socket.js'
import type { DefaultEventsMap, EventsMap } from './core/events.js'
import type { ConnectOptions } from './core/options.js'

/**
 * Creates a socket and, unless `autoConnect: false`, starts connecting in the
 * background. `url` is the handler's mount path: relative ('/api/socket',
 * resolved against the page) in browsers, absolute elsewhere.
 *
 * Generics as socket.io-client: `connect<ServerToClient, ClientToServer>(url)`.
 */
export function connect<Listen extends EventsMap = DefaultEventsMap, Emit extends EventsMap = Listen>(
  url: string | URL,
  options: ConnectOptions = {},
): ClientSocket<Listen, Emit> {
  const socket = new ClientSocket<Listen, Emit>(url, options)
  if (options.autoConnect !== false) socket.connect()
  return socket
}

/** socket.io-client's name for `connect`. */
export { connect as io }

export { ClientSocket, type EmitWithAckOptions } from './core/socket.js'
export type { AckReply, DefaultEventsMap, EventNames, EventParams, EventPayload, EventsMap, ReservedEvents, TimeoutEventParams } from './core/events.js'
export type { AuthOption, AuthPayload, ConnectOptions } from './core/options.js'
export type { FetchLike } from './core/http.js'
export { DisconnectReason } from './core/reasons.js'
export { State, type StateChange } from './core/state.js'
export type { DevtoolsEventType, DevtoolsHook } from './devtools/hook.js'
export { SocketServeError, ERROR_STATUS, isErrorCode, type ErrorCode } from './protocol/errors.js'
export type { Transport as TransportName } from './protocol/wire.js'
