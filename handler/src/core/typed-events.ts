/**
 * Typed events, as Socket.IO types them: one map per direction, shared by server and client
 * (the types are the client protocol module's, so both sides read them the same way).
 *
 *   interface ClientToServer { chat: (msg: { text: string }, ack: (reply: 'ok') => void) => void }
 *   interface ServerToClient { welcome: (data: { id: string }) => void }
 *   const io = serve<ClientToServer, ServerToClient, { name: string }>()
 */
import type { AckReply, EventPayload, EventsMap } from '@socket-serve/client/protocol'

export type { AckReply, DefaultEventsMap, DefaultSocketData, EventNames, EventPayload, EventsMap, PayloadArgs } from '@socket-serve/client/protocol'

/** The payload of event `E` in map `M`. */
export type EventData<M extends EventsMap, E extends keyof M> = EventPayload<M[E]>
/** What the ack of event `E` in map `M` carries. */
export type EventAck<M extends EventsMap, E extends keyof M> = AckReply<M[E]>
