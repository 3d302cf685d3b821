import { BROADCAST_ROOM, SocketServeError } from '@socket-serve/client/protocol'
import { StoreUnavailableError } from '../store/errors.js'
import type { SessionRecord, Store, StoreLimits } from '../store/types.js'
import { NO_OBSERVER, type Observer } from '../inspector/observer.js'
import { Recorder } from '../inspector/recorder.js'
import { Hub } from '../transport/hub.js'
import { PendingAcks } from './acks.js'
import { handlerContext, nextOrigin } from './context.js'
import { endEntry, joinEntry, leaveEntry, messageEntry } from './frames.js'
import { newInstanceId, newSessionId, newToken } from './ids.js'
import type { ResolvedOptions } from './options.js'
import { checkEvent, checkRoom, Socket } from './socket.js'
import type { DefaultEventsMap, DefaultSocketData, EventAck, EventData, EventNames, EventsMap } from './typed-events.js'

export type ConnectHandler<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData> = (
  socket: Socket<L, E, D>,
) => unknown
export type DisconnectHandler<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData> = (
  socket: Socket<L, E, D>,
  reason: string,
) => unknown
export type MessageHandler<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData, Ev extends keyof L> = (
  socket: Socket<L, E, D>,
  data: EventData<L, Ev>,
  ack: (reply: EventAck<L, Ev>) => void,
) => EventAck<L, Ev> | Promise<EventAck<L, Ev>> | void | Promise<void>
/** Runs at connect, before onConnect; throw (or call next(err)) to refuse the connection. */
export type Middleware<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData> = (
  socket: Socket<L, E, D>,
  next: (err?: Error) => void,
) => unknown

/** Emits to a room (or to everyone) from any server code: a handler, a cron job, a webhook. */
export interface BroadcastOperator<E extends EventsMap, L extends EventsMap, D extends DefaultSocketData> {
  emit<Ev extends EventNames<E>>(event: Ev, data?: EventData<E, Ev>): Promise<void>
  fetchSockets(): Promise<Socket<L, E, D>[]>
}

const MAX_FETCH = 100_000

/**
 * The instance-independent core: everything here reads and writes the store,
 * so any instance can serve any request. The only per-instance state is the
 * Hub (open streams on this instance) and pending server->client acks.
 */
export class ServerCore<
  L extends EventsMap = DefaultEventsMap,
  E extends EventsMap = DefaultEventsMap,
  D extends DefaultSocketData = DefaultSocketData,
> {
  readonly instanceId = newInstanceId()
  readonly limits: StoreLimits
  readonly acks: PendingAcks
  readonly hub: Hub
  /** what the inspector sees; a no-op unless an inspector is configured */
  readonly observer: Observer
  /** sessions whose connect is still running middleware: their record is not stored yet */
  readonly pendingConnects = new Set<string>()

  private connectHandlers: ConnectHandler<L, E, D>[] = []
  private disconnectHandlers: DisconnectHandler<L, E, D>[] = []
  private middlewares: Middleware<L, E, D>[] = []
  private messageHandlers = new Map<string, MessageHandler<L, E, D, any>>()
  private lastSweep = 0
  private sweeping?: Promise<number>
  private sweepTimer?: ReturnType<typeof setInterval>
  private closed = false

  constructor(
    readonly store: Store,
    readonly opts: ResolvedOptions,
  ) {
    this.limits = { ttl: opts.ttl, maxLogLength: opts.maxLogLength }
    this.observer = opts.inspector ? new Recorder(store) : NO_OBSERVER
    this.acks = new PendingAcks(this.instanceId, store, (sid, event, ms) => this.observer.serverAck(sid, event, ms))
    this.hub = new Hub(this)
  }

  // --- registration ---------------------------------------------------------

  onConnect(fn: ConnectHandler<L, E, D>): void {
    this.connectHandlers.push(fn)
  }

  onDisconnect(fn: DisconnectHandler<L, E, D>): void {
    this.disconnectHandlers.push(fn)
  }

  onMessage<Ev extends EventNames<L>>(event: Ev, fn: MessageHandler<L, E, D, Ev>): void {
    checkEvent(event)
    this.messageHandlers.set(event, fn)
  }

  use(fn: Middleware<L, E, D>): void {
    this.middlewares.push(fn)
  }

  // --- server-wide operations ----------------------------------------------

  emit<Ev extends EventNames<E>>(event: Ev, data?: EventData<E, Ev>): Promise<void> {
    return this.operator(BROADCAST_ROOM).emit(event, data)
  }

  to(room: string): BroadcastOperator<E, L, D> {
    checkRoom(room)
    return this.operator(room)
  }

  fetchSockets(): Promise<Socket<L, E, D>[]> {
    return this.operator(BROADCAST_ROOM).fetchSockets()
  }

  /** A room's operator; the broadcast room is reachable only through emit() and fetchSockets(). */
  private operator(room: string): BroadcastOperator<E, L, D> {
    return {
      emit: async (event, data) => {
        checkEvent(event)
        await this.emitTo({ room }, event, data)
      },
      fetchSockets: async () => {
        const sids = room === BROADCAST_ROOM ? await this.store.sessionIds(MAX_FETCH) : await this.store.members(room, MAX_FETCH)
        return this.socketsOf(sids)
      },
    }
  }

  async fetchSocket(sid: string): Promise<Socket<L, E, D> | null> {
    const record = await this.store.getSession(sid)
    return record ? new Socket<L, E, D>(this, record) : null
  }

  /**
   * Disconnects sessions with no stream and no request for disconnectTimeout:
   * onDisconnect runs once per session across all instances. Call it from a cron
   * trigger on platforms where nothing runs between requests.
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.runSweep().finally(() => (this.sweeping = undefined))
    return this.sweeping
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sweepTimer) clearInterval(this.sweepTimer)
    this.hub.close()
    this.acks.close()
    await this.observer.close()
    await this.sweeping?.catch(() => {})
    if (this.store.ownedByServer) await this.store.close()
  }

  // --- used by the transport -----------------------------------------------

  async append(key: string, data: string, exclude?: string): Promise<number> {
    return this.store.append(key, data, exclude, this.limits)
  }

  /** Every emit goes through here: to a session's direct log, or to a room's log. */
  async emitTo(target: { sid?: string; room?: string }, event: string, data: unknown, exclude?: string, ackId?: string): Promise<void> {
    const key = target.sid !== undefined ? `d:${target.sid}` : `r:${target.room}`
    await this.store.append(key, messageEntry(event, data, ackId), exclude, this.limits, nextOrigin())
    this.observer.messageOut(target, event, data)
  }

  async join(sid: string, room: string): Promise<number> {
    const seq = await this.store.joinRoom(sid, room, this.limits)
    // Tells the session's open stream (on whichever instance) to start reading the room at seq.
    await this.append(`d:${sid}`, joinEntry(room, seq))
    this.observer.lifecycle('join', sid, { room })
    return seq
  }

  async leave(sid: string, room: string): Promise<void> {
    const seq = await this.store.leaveRoom(sid, room, this.limits)
    await this.append(`d:${sid}`, leaveEntry(room, seq))
    this.observer.lifecycle('leave', sid, { room })
  }

  /** Creates a session: auth has run; middleware and onConnect run here. */
  async connect(request: Request, user: unknown, transport: string): Promise<SessionRecord> {
    const now = Date.now()
    const record: SessionRecord = {
      sid: newSessionId(),
      token: newToken(),
      user,
      state: {},
      rooms: { [BROADCAST_ROOM]: await this.store.head(`r:${BROADCAST_ROOM}`) },
      transport,
      createdAt: now,
      lastSeen: now,
    }
    const socket = new Socket<L, E, D>(this, record, request)
    this.pendingConnects.add(record.sid)
    try {
      for (const mw of this.middlewares) await runMiddleware(mw, socket)
    } catch (err) {
      // Rooms joined by a refusing middleware are released again.
      for (const room of Object.keys(record.rooms)) {
        if (room !== BROADCAST_ROOM) await this.store.leaveRoom(record.sid, room, this.limits)
      }
      await this.store.deleteSession(record.sid)
      throw refusal(err)
    } finally {
      this.pendingConnects.delete(record.sid)
    }
    await this.store.createSession(record, this.limits)
    this.observer.lifecycle('connect', record.sid)
    for (const fn of this.connectHandlers) {
      try {
        await fn(socket)
      } catch (err) {
        console.error('[socket-serve] onConnect handler failed:', err)
      }
    }
    return record
  }

  /**
   * Runs a client's messages in the order it emitted them. Handlers are started
   * one after another without waiting for each other's promises (as Socket.IO
   * does), then their acks are gathered.
   */
  async dispatch(
    record: SessionRecord,
    messages: { id: number; event: string; data?: unknown; ack?: boolean }[],
    rerun = false,
  ): Promise<{ id: number; data?: unknown; error?: { code: string; message: string } }[]> {
    const socket = new Socket<L, E, D>(this, record)
    const pending: Promise<{ id: number; data?: unknown; error?: { code: string; message: string } }>[] = []
    const observer = this.observer
    for (const m of messages) {
      const started = observer === NO_OBSERVER ? 0 : performance.now()
      const context = { message: `${record.sid}:${m.id}`, rerun, emits: 0 }
      const result = handlerContext.run(context, () => this.runHandler(socket, m.event, m.data, !!m.ack))
      if (m.ack) {
        pending.push(
          result.then(
            (data) => {
              if (started) observer.messageIn(record.sid, m.event, m.data, performance.now() - started)
              return { id: m.id, data }
            },
            (err) => {
              // The store failing under a handler fails the whole POST (503): the client retries it.
              if (err instanceof StoreUnavailableError) throw err
              if (started) observer.messageIn(record.sid, m.event, m.data, performance.now() - started)
              return { id: m.id, error: ackError(m.event, err) }
            },
          ),
        )
      } else {
        observer.messageIn(record.sid, m.event, m.data)
        result.catch((err) => logHandlerError(m.event, err))
      }
    }
    return Promise.all(pending)
  }

  /**
   * Ends a session once across all instances: the store's live index decides
   * which caller wins, and only the winner runs onDisconnect.
   */
  async endSession(sid: string, reason: string, clientReason: string): Promise<boolean> {
    if (!(await this.store.endSession(sid))) return false
    const record = await this.store.getSession(sid)
    if (record) {
      // Leave rooms first, so member lists read in onDisconnect no longer hold this session.
      for (const room of Object.keys(record.rooms)) {
        if (room !== BROADCAST_ROOM) await this.store.leaveRoom(sid, room, this.limits)
      }
      const socket = new Socket<L, E, D>(this, record)
      for (const fn of this.disconnectHandlers) {
        try {
          await fn(socket, reason)
        } catch (err) {
          console.error('[socket-serve] onDisconnect handler failed:', err)
        }
      }
    }
    // Open streams of this session, on any instance, tell their client and close.
    await this.append(`d:${sid}`, endEntry(clientReason))
    await this.store.deleteSession(sid)
    this.observer.lifecycle('disconnect', sid, { reason })
    return true
  }

  /** Called on each request: sweeps at most once per sweepInterval (serverless has no timers). */
  maybeSweep(): void {
    const now = Date.now()
    const every = this.opts.sweepInterval || Math.max(1000, this.opts.disconnectTimeout / 3)
    if (!this.sweepTimer && this.opts.sweepInterval > 0 && !this.closed) {
      // Long-lived runtimes also sweep on a timer, so a quiet server still notices vanished clients.
      this.sweepTimer = setInterval(() => void this.sweep().catch(logSweepError), this.opts.sweepInterval)
      ;(this.sweepTimer as { unref?: () => void }).unref?.()
    }
    if (now - this.lastSweep < every) return
    this.lastSweep = now
    void this.sweep().catch(logSweepError)
  }

  private async runSweep(): Promise<number> {
    const cutoff = Date.now() - this.opts.disconnectTimeout
    let ended = 0
    for (;;) {
      const idle = await this.store.idleSessions(cutoff, 500)
      if (idle.length === 0) break
      // Streams open on this instance keep their session alive even if a touch was missed.
      const candidates = idle.filter((sid) => !this.hub.hasStream(sid))
      for (const sid of candidates) {
        if (await this.endSession(sid, 'ping timeout', 'ping timeout')) ended++
      }
      if (idle.length < 500 || candidates.length === 0) break
    }
    return ended
  }

  private async socketsOf(sids: string[]): Promise<Socket<L, E, D>[]> {
    const records = await Promise.all(sids.map((sid) => this.store.getSession(sid)))
    return records.filter((r): r is SessionRecord => r !== null).map((r) => new Socket<L, E, D>(this, r))
  }

  private runHandler(socket: Socket<L, E, D>, event: string, data: unknown, wantsAck: boolean): Promise<unknown> {
    const fn = this.messageHandlers.get(event)
    if (!fn) {
      return wantsAck ? Promise.reject(new SocketServeError('UNKNOWN_EVENT', `no handler for "${event}"`)) : Promise.resolve()
    }
    if (fn.length < 3) {
      try {
        return Promise.resolve(fn(socket, data as never, () => {}))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    // Callback style: the ack is whatever the handler passes to ack().
    return new Promise((resolve, reject) => {
      const timer = wantsAck
        ? setTimeout(() => reject(new SocketServeError('HANDLER_ERROR', 'handler did not call ack')), this.opts.ackTimeout)
        : undefined
      const ack = (reply: unknown) => {
        clearTimeout(timer)
        resolve(reply)
      }
      try {
        Promise.resolve(fn(socket, data as never, ack)).then(
          (value) => {
            if (value !== undefined) ack(value)
            else if (!wantsAck) resolve(undefined)
          },
          (err) => {
            clearTimeout(timer)
            reject(err)
          },
        )
      } catch (err) {
        clearTimeout(timer)
        reject(err)
      }
    })
  }
}

function runMiddleware<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData>(
  mw: Middleware<L, E, D>,
  socket: Socket<L, E, D>,
): Promise<void> {
  if (mw.length < 2) return Promise.resolve(mw(socket, () => {})).then(() => undefined)
  return new Promise((resolve, reject) => {
    const next = (err?: Error) => (err ? reject(err) : resolve())
    try {
      Promise.resolve(mw(socket, next)).catch(reject)
    } catch (err) {
      reject(err)
    }
  })
}

/** A refused connection: SocketServeErrors keep their code; anything else is 403 with its message. */
function refusal(err: unknown): SocketServeError {
  if (err instanceof SocketServeError) return err
  const message = err instanceof Error && err.message ? err.message : 'connection refused'
  return new SocketServeError('FORBIDDEN', message)
}

function ackError(event: string, err: unknown): { code: string; message: string } {
  if (err instanceof SocketServeError) return { code: err.code, message: err.message }
  logHandlerError(event, err)
  // Internal details stay on the server.
  return { code: 'HANDLER_ERROR', message: 'the handler failed' }
}

function logHandlerError(event: string, err: unknown): void {
  if (err instanceof SocketServeError) return
  console.error(`[socket-serve] handler for "${event}" failed:`, err)
}

function logSweepError(err: unknown): void {
  console.error('[socket-serve] sweep failed:', err)
}
