/**
 * @socket-serve/client/react: React bindings for the client, a separate entry so the main one
 * stays free of React (react is an optional peer dependency).
 *
 *   <SocketProvider url="/api/socket"><Chat /></SocketProvider>
 *   useEvent('chat', (msg) => setMessages((m) => [...m, msg]))
 *   const state = useConnectionState()              // 'connecting' | 'connected' | 'disconnected'
 *   const send = useEmitWithAck('chat'); await send.emit({ text })
 *
 * Typed by the same maps as connect(): register them once,
 *   declare module '@socket-serve/client/react' { interface Register { listen: ServerToClient; emit: ClientToServer } }
 * or bind them with createSocketHooks<ServerToClient, ClientToServer>().
 *
 * Safe under StrictMode's double effects: the provider connects in an effect and, when the effect
 * is cleaned up, disconnects only if it is not set up again in the same tick, so a StrictMode
 * remount keeps the one session instead of opening a second.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react'
import { ClientSocket, type EmitWithAckOptions } from '../core/socket.js'
import type { ConnectOptions } from '../core/options.js'
import type { AckReply, DefaultEventsMap, EventNames, EventPayload, EventsMap } from '../protocol/events.js'
import type { SocketServeError } from '../protocol/errors.js'
import type { State } from '../core/state.js'

/** Augment to type every hook: `interface Register { listen: ServerToClient; emit: ClientToServer }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface Register {}

type RegisteredListen = Register extends { listen: infer L extends EventsMap } ? L : DefaultEventsMap
type RegisteredEmit = Register extends { emit: infer E extends EventsMap } ? E : RegisteredListen

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const SocketContext = createContext<ClientSocket<any, any> | null>(null)

export interface SocketProviderProps {
  /** the handler's mount path ('/api/socket'); ignored when `socket` is given */
  url?: string | URL
  /** connect() options; read once, when the socket is made */
  options?: ConnectOptions
  /** a socket made elsewhere: the provider shares it and leaves connecting and closing to you */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  socket?: ClientSocket<any, any>
  children?: ReactNode
}

/** Holds one socket for the tree below: made on first render, connected while mounted. */
export function SocketProvider(props: SocketProviderProps): ReturnType<typeof createElement> {
  const [owned] = useState(() => (props.socket ? null : new ClientSocket(props.url ?? '/api/socket', { ...props.options, autoConnect: false })))
  const socket = props.socket ?? owned!
  useEffect(() => {
    if (!owned) return
    const life = lifeOf(owned)
    life.mounts++
    if (!owned.active) owned.connect()
    return () => {
      life.mounts--
      // StrictMode cleans up and sets up again at once: close only if nobody took it back.
      queueMicrotask(() => {
        if (life.mounts === 0) owned.disconnect()
      })
    }
  }, [owned])
  return createElement(SocketContext.Provider, { value: socket }, props.children)
}

const lives = new WeakMap<object, { mounts: number }>()
function lifeOf(socket: object): { mounts: number } {
  let life = lives.get(socket)
  if (!life) lives.set(socket, (life = { mounts: 0 }))
  return life
}

/** The provider's socket. */
export function useSocket<L extends EventsMap = RegisteredListen, E extends EventsMap = RegisteredEmit>(): ClientSocket<L, E> {
  const socket = useContext(SocketContext)
  if (!socket) throw new Error('useSocket: no <SocketProvider> above this component')
  return socket as ClientSocket<L, E>
}

/**
 * Listens to `event` while the component is mounted. The latest `handler` is called (no
 * re-subscribing when it changes); an ack, when the server asked for one, is its last argument.
 */
export function useEvent<L extends EventsMap = RegisteredListen, Ev extends EventNames<L> = EventNames<L>>(event: Ev, handler: L[Ev]): void {
  const socket = useSocket<L, EventsMap>()
  const latest = useRef(handler)
  latest.current = handler
  useEffect(() => {
    const listener = ((...args: unknown[]) => (latest.current as (...a: unknown[]) => unknown)(...args)) as L[Ev]
    socket.on(event, listener)
    return () => void socket.off(event, listener)
  }, [socket, event])
}

/** The connection state ('connecting', 'connected' or 'disconnected'), re-rendering on change. */
export function useConnectionState(): State {
  const socket = useSocket()
  const subscribe = useCallback(
    (changed: () => void) => {
      socket.on('state', changed)
      return () => void socket.off('state', changed)
    },
    [socket],
  )
  const read = () => (socket.connected ? 'connected' : socket.active ? 'connecting' : 'disconnected') as State
  return useSyncExternalStore(subscribe, read, read)
}

export interface EmitWithAckState<Reply> {
  /** sends the event; resolves with the ack, rejects with a SocketServeError */
  emit(data?: unknown, options?: EmitWithAckOptions): Promise<Reply>
  /** an emit is waiting for its ack */
  pending: boolean
  /** the last ack received */
  reply: Reply | undefined
  /** the last emit's error, cleared by the next emit */
  error: SocketServeError | undefined
}

/** `emit(data)` resolving with the ack, with the last reply, error and a pending flag as state. */
export function useEmitWithAck<E extends EventsMap = RegisteredEmit, Ev extends EventNames<E> = EventNames<E>>(
  event: Ev,
): Omit<EmitWithAckState<AckReply<E[Ev]>>, 'emit'> & { emit(data?: EventPayload<E[Ev]>, options?: EmitWithAckOptions): Promise<AckReply<E[Ev]>> } {
  const socket = useSocket<EventsMap, E>()
  const [state, setState] = useState<{ pending: number; reply?: AckReply<E[Ev]>; error?: SocketServeError }>({ pending: 0 })
  const emit = useCallback(
    async (data?: EventPayload<E[Ev]>, options?: EmitWithAckOptions) => {
      setState((s) => ({ ...s, pending: s.pending + 1, error: undefined }))
      try {
        const reply = await socket.emitWithAck(event, data, options)
        setState((s) => ({ pending: s.pending - 1, reply, error: undefined }))
        return reply
      } catch (err) {
        setState((s) => ({ ...s, pending: s.pending - 1, error: err as SocketServeError }))
        throw err
      }
    },
    [socket, event],
  )
  return { emit, pending: state.pending > 0, reply: state.reply, error: state.error }
}

/** The hooks bound to a pair of maps, for apps that would rather not augment Register. */
export function createSocketHooks<L extends EventsMap, E extends EventsMap = L>(): {
  useSocket: () => ClientSocket<L, E>
  useEvent: <Ev extends EventNames<L>>(event: Ev, handler: L[Ev]) => void
  useEmitWithAck: <Ev extends EventNames<E>>(event: Ev) => ReturnType<typeof useEmitWithAck<E, Ev>>
  useConnectionState: () => State
} {
  return { useSocket: useSocket<L, E>, useEvent: useEvent<L>, useEmitWithAck: useEmitWithAck<E>, useConnectionState }
}
