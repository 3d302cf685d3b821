/**
 * Typed events, as Socket.IO types them: a map from event name to a function
 * type whose single parameter is the payload and whose return type is the ack.
 *
 *   interface ClientToServer { chat: (msg: { text: string }) => 'ok' }
 *   interface ServerToClient { welcome: (data: { id: string }) => void }
 *   const io = serve<ClientToServer, ServerToClient, { name: string }>()
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventsMap = Record<string, (data: any) => any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DefaultEventsMap = Record<string, (data?: any) => any>
export type EventNames<M extends EventsMap> = keyof M & string
export type EventData<M extends EventsMap, E extends keyof M> = Parameters<M[E]>[0]
export type EventAck<M extends EventsMap, E extends keyof M> = Awaited<ReturnType<M[E]>>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DefaultSocketData = Record<string, any>
