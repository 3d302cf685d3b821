import { BROADCAST_ROOM, CLIENT_EVENTS, isValidEventName, isValidRoomName, isValidStateKey, SocketServeError } from '@socket-serve/client/protocol'
import type { SessionRecord } from '../store/types.js'
import { setJoin, unsetJoin } from '../store/epochs.js'
import type { ServerCore } from './server.js'
import type { DefaultEventsMap, DefaultSocketData, EventAck, EventData, EventNames, EventsMap, PayloadArgs } from './typed-events.js'

/**
 * One client session, as seen from server code. It is rebuilt from the store on
 * every request, on whichever instance serves it, so everything it does goes
 * through the store: no state is kept in this object beyond the request.
 */
export class Socket<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  SocketData extends DefaultSocketData = DefaultSocketData,
> {
  readonly id: string
  /** what auth() returned at connect */
  readonly user: unknown
  /** the connect request (only during onConnect and io.use middleware) */
  readonly request?: Request

  /** @internal */
  constructor(
    private readonly server: ServerCore<any, any, any>,
    private readonly record: SessionRecord,
    request?: Request,
    /** true in onConnect when the session came back within its recovery window (as Socket.IO's socket.recovered) */
    readonly recovered = false,
  ) {
    this.id = record.sid
    this.user = record.user
    if (request) this.request = request
  }

  /** The rooms this socket is in (the broadcast room excluded). */
  get rooms(): Set<string> {
    return new Set(Object.keys(this.record.rooms).filter((r) => r !== BROADCAST_ROOM))
  }

  get transport(): string {
    return this.record.transport
  }

  get connectedAt(): number {
    return this.record.createdAt
  }

  /** Session state, persisted in the store and visible on every instance. */
  get<K extends keyof SocketData & string>(key: K): SocketData[K] | undefined {
    return this.record.state[key] as SocketData[K] | undefined
  }

  /** Persists one state value (JSON); `undefined` removes the key. */
  async set<K extends keyof SocketData & string>(key: K, value: SocketData[K]): Promise<void> {
    if (!isValidStateKey(key)) throw new SocketServeError('INVALID_NAME', `invalid state key: ${JSON.stringify(key)?.slice(0, 64)}`)
    if (value === undefined) delete this.record.state[key]
    else this.record.state[key] = value
    if (!this.server.pendingConnects.has(this.id)) {
      await this.server.store.setState(this.id, { [key]: value }, this.server.limits)
    }
  }

  /** Sends to this client. Resolves once the message is stored (it is then delivered even across reconnects). */
  async emit<E extends EventNames<EmitEvents>>(event: E, ...[data]: PayloadArgs<EmitEvents[E]>): Promise<void> {
    checkEmitted(event)
    await this.server.emitTo({ sid: this.id }, event, data)
  }

  /** Sends to this client and resolves with its ack (rejects with ACK_TIMEOUT). */
  async emitWithAck<E extends EventNames<EmitEvents>>(
    event: E,
    data?: EventData<EmitEvents, E>,
    options: { timeout?: number } = {},
  ): Promise<EventAck<EmitEvents, E>> {
    checkEmitted(event)
    const { id, promise } = this.server.acks.create(this.id, event, options.timeout ?? this.server.opts.ackTimeout)
    try {
      await this.server.emitTo({ sid: this.id }, event, data, undefined, id)
    } catch (err) {
      this.server.acks.cancel(id, err as Error)
    }
    return (await promise) as EventAck<EmitEvents, E>
  }

  /** Sends to every connected client but this one. */
  async broadcast<E extends EventNames<EmitEvents>>(event: E, ...[data]: PayloadArgs<EmitEvents[E]>): Promise<void> {
    checkEmitted(event)
    await this.server.emitTo({ room: BROADCAST_ROOM }, event, data, this.id)
  }

  /** Sends to a room, except this socket (as Socket.IO's socket.to(room)). */
  to(room: string): { emit: <E extends EventNames<EmitEvents>>(event: E, ...args: PayloadArgs<EmitEvents[E]>) => Promise<void> } {
    checkRoom(room)
    return {
      emit: async (event, ...[data]) => {
        checkEmitted(event)
        await this.server.emitTo({ room }, event, data, this.id)
      },
    }
  }

  async join(room: string | string[]): Promise<void> {
    for (const r of Array.isArray(room) ? room : [room]) {
      checkRoom(r)
      setJoin(this.record, r, await this.server.join(this.id, r, this.record.rooms, this.user, !(r in this.record.rooms)))
    }
  }

  async leave(room: string): Promise<void> {
    checkRoom(room)
    await this.server.leave(this.id, room, this.user, room in this.record.rooms)
    unsetJoin(this.record, room)
  }

  /** Ends the session: onDisconnect runs once, the client is told and does not reconnect. */
  async disconnect(): Promise<void> {
    await this.server.endSession(this.id, 'server namespace disconnect', 'io server disconnect')
  }
}

export function checkRoom(room: unknown): asserts room is string {
  if (!isValidRoomName(room)) {
    throw new SocketServeError('INVALID_NAME', `invalid room name: ${JSON.stringify(room)?.slice(0, 64)}`)
  }
}

/**
 * An event the server sends to clients: a valid name, and none the client keeps for its
 * own events (`error`, `gap`, `state`), which it would drop.
 */
export function checkEmitted(event: unknown): asserts event is string {
  checkEvent(event)
  if (CLIENT_EVENTS.has(event)) throw new SocketServeError('INVALID_NAME', `"${event}" is a client event name: the client would not deliver it`)
}

export function checkEvent(event: unknown): asserts event is string {
  if (!isValidEventName(event)) {
    throw new SocketServeError('INVALID_NAME', `invalid event name: ${JSON.stringify(event)?.slice(0, 64)}`)
  }
}
