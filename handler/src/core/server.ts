import { BROADCAST_ROOM, DisconnectFrameReason, SocketServeError } from '@socket-serve/client/protocol'
import type { ClientInfo, LogEntry, LogPosition, SessionRecord, Store, StoreLimits } from '../store/types.js'
import { setJoin } from '../store/epochs.js'
import type { Observer } from '../observer.js'
import { PendingAcks } from './acks.js'
import { nextOrigin, trackWrite } from './context.js'
import { Dispatcher, type AnyHandler, type HandlerOutcome, type RunnableMessage } from './dispatch.js'
import { endEntry, joinEntry, leaveEntry, messageEntry } from '../store/entries.js'
import { newInstanceId, newSessionId, newToken } from '../ids.js'
import type { ResolvedOptions } from './options.js'
import { storeBound } from './limits.js'
import { checkEmitted, checkEvent, checkRoom, Socket } from './socket.js'
import type { DefaultEventsMap, DefaultSocketData, EventAck, EventData, EventNames, EventsMap, PayloadArgs } from './typed-events.js'

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

/** The delivery layer's streams on this instance, as the core sees them. */
export interface LocalStreams {
  /** a stream of this session is open here (it keeps the session alive even if a touch was missed) */
  hasStream(sid: string): boolean
  /**
   * An entry this instance just appended: its streams here that read `key` may write it at once,
   * without waiting for the store's notification of it (which they then skip, by seq).
   */
  appended(key: string, entry: LogEntry & { epoch: string }): void
  /** ends every open stream (io.close()) */
  close(): void
}

/** Emits to a room (or to everyone) from any server code: a handler, a cron job, a webhook. */
export interface BroadcastOperator<E extends EventsMap, L extends EventsMap, D extends DefaultSocketData> {
  emit<Ev extends EventNames<E>>(event: Ev, ...args: PayloadArgs<E[Ev]>): Promise<void>
  fetchSockets(): Promise<Socket<L, E, D>[]>
  /** The room's live members, read from the store (every instance's), with their user and state. */
  presence(): Promise<PresenceMember<D>[]>
}

/** A member of a room, as `io.in(room).presence()` lists it. */
export interface PresenceMember<D extends DefaultSocketData = DefaultSocketData> {
  id: string
  /** what auth() returned at connect */
  user: unknown
  /** the session state (socket.set) */
  state: Partial<D>
}

/**
 * The payload of the `presence:join` and `presence:leave` events a room's members receive when
 * `serve({ presence })` covers the room: who came or went (a vanished client leaves when swept).
 */
export interface PresenceEvent {
  room: string
  member: { id: string; user: unknown }
}
export const PRESENCE_JOIN = 'presence:join'
export const PRESENCE_LEAVE = 'presence:leave'

const MAX_FETCH = 100_000
/** An ending's lease: a sweep that dies mid-way is resumed by another after this long. */
const END_LEASE_MS = 30_000
/** Endings after which the client may come back and resume (the others are final). */
const RECOVERABLE_REASONS = new Set(['ping timeout'])
/**
 * A kicked session's record and log stay this long, so a client whose stream was between
 * two requests still reads the disconnect frame (and stops) instead of starting over.
 */
const KICK_GRACE_MS = 30_000

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
  readonly limits: StoreLimits
  readonly dispatcher: Dispatcher
  readonly acks: PendingAcks
  /** this instance's open streams, as far as the core needs to know them */
  readonly streams: LocalStreams
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
  private id?: string

  constructor(
    readonly store: Store,
    readonly opts: ResolvedOptions,
    /** what plugins observe (see plugin.ts); NO_OBSERVER when none */
    observer: Observer,
    streams: LocalStreams,
  ) {
    this.streams = streams
    this.limits = { ttl: opts.ttl, maxLogLength: opts.maxLogLength }
    this.observer = observer
    this.acks = new PendingAcks(
      () => this.instanceId,
      store,
      (sid, event, ms) => this.observer.serverAck(sid, event, ms),
      opts.limits.pendingAcksPerSession,
      (sid, event, timeout) =>
        this.observer.failure({ kind: 'ack-timeout', code: 'ACK_TIMEOUT', message: `no ack within ${timeout} ms`, sid, event }),
    )
    this.dispatcher = new Dispatcher(this.messageHandlers as ReadonlyMap<string, AnyHandler>, this.observer, opts.ackTimeout, opts.events)
  }

  /** Made on first use: some runtimes (Workers) refuse randomness at module scope, where serve() runs. */
  get instanceId(): string {
    return (this.id ??= newInstanceId())
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

  emit<Ev extends EventNames<E>>(event: Ev, ...args: PayloadArgs<E[Ev]>): Promise<void> {
    return this.operator(BROADCAST_ROOM).emit(event, ...args)
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
      emit: async (event, ...[data]) => {
        checkEmitted(event)
        await this.emitTo({ room }, event, data)
      },
      fetchSockets: async () => {
        const sids = room === BROADCAST_ROOM ? await this.store.sessionIds(MAX_FETCH) : await this.store.members(room, MAX_FETCH)
        return this.socketsOf(sids)
      },
      presence: async () => {
        const sids = room === BROADCAST_ROOM ? await this.store.sessionIds(MAX_FETCH) : await this.store.members(room, MAX_FETCH)
        const records = await Promise.all(sids.map((sid) => this.store.getSession(sid)))
        return records
          .filter((r): r is SessionRecord => r !== null && r.ended === undefined)
          .map((r) => ({ id: r.sid, user: r.user, state: r.state as Partial<D> }))
      },
    }
  }

  /** Tells a room's members who joined or left, through the room's log (so every instance's streams). */
  private async announce(event: typeof PRESENCE_JOIN | typeof PRESENCE_LEAVE, sid: string, user: unknown, rooms: string[]): Promise<void> {
    for (const room of rooms) {
      if (room === BROADCAST_ROOM || !this.opts.presence(room)) continue
      const payload: PresenceEvent = { room, member: { id: sid, user } }
      await trackWrite(this.append(`r:${room}`, messageEntry(event, payload)))
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
    this.streams.close()
    this.acks.close()
    await this.observer.close()
    await this.sweeping?.catch(() => {})
    if (this.store.ownedByServer) await this.store.close()
  }

  // --- used by the transport -----------------------------------------------

  async append(key: string, data: string, exclude?: string): Promise<number> {
    return (await this.store.append(key, data, exclude, this.limits)).seq
  }

  /** Every emit goes through here: to a session's direct log, or to a room's log. */
  async emitTo(target: { sid?: string; room?: string }, event: string, data: unknown, exclude?: string, ackId?: string): Promise<void> {
    const key = target.sid !== undefined ? `d:${target.sid}` : `r:${target.room}`
    const entry = messageEntry(event, data, ackId)
    const origin = nextOrigin()
    const { seq, epoch } = await trackWrite(this.store.append(key, entry, exclude, this.limits, origin))
    // The local fast path: the store says the entry is in the log at `seq` of `epoch`; this
    // instance's streams need not wait for the pub/sub round trip to write it. Not for a re-run's
    // append (`check`): the store may have kept an earlier run's entry, with other data, at that seq.
    if (!origin?.check) this.streams.appended(key, { seq, epoch, data: entry, exclude })
    this.observer.messageOut(target, event, data)
  }

  /**
   * `known`: the rooms the caller's record lists (a connect's middleware joins before the store has
   * it). `announce`: a presence join for a room the session was not in yet.
   */
  async join(sid: string, room: string, known?: Record<string, number>, user?: unknown, announce = true): Promise<LogPosition> {
    let at: LogPosition | null | 'full'
    const maxRooms = storeBound(this.opts.limits.roomsPerSession)
    const pending = this.pendingConnects.has(sid)
    if (pending) {
      // Joined by middleware before the record exists: createSession writes the room list.
      if (maxRooms > 0 && known && !(room in known) && roomCount(known) >= maxRooms) at = 'full'
      else {
        await this.store.restoreMemberships(sid, [room], this.limits)
        at = await this.store.position(`r:${room}`)
      }
    } else {
      at = await trackWrite(this.store.joinRoom(sid, room, this.limits, maxRooms))
      if (at === null) throw new SocketServeError('SESSION_NOT_FOUND', 'the session has ended: it cannot join rooms')
    }
    if (at === 'full') throw new SocketServeError('LIMIT_EXCEEDED', `a session may be in at most ${maxRooms} rooms (limits.roomsPerSession)`)
    // Tells the session's open stream (on whichever instance) to start reading the room there.
    await trackWrite(this.append(`d:${sid}`, joinEntry(room, at)))
    // A member joined by connect middleware is announced once its session exists (connect()).
    if (announce && !pending) await this.announce(PRESENCE_JOIN, sid, user, [room])
    this.observer.lifecycle('join', sid, { room })
    return at
  }

  async leave(sid: string, room: string, user?: unknown, announce = true): Promise<void> {
    const seq = await trackWrite(this.store.leaveRoom(sid, room, this.limits))
    await trackWrite(this.append(`d:${sid}`, leaveEntry(room, seq)))
    if (announce) await this.announce(PRESENCE_LEAVE, sid, user, [room])
    this.observer.lifecycle('leave', sid, { room })
  }

  /**
   * Creates a session: auth has run; middleware and onConnect run here. `client`: its address and
   * user agent, kept in the record when an observer asks for them (Observer.wantsClients).
   */
  async connect(request: Request, user: unknown, transport: string, client?: ClientInfo): Promise<SessionRecord> {
    const now = Date.now()
    const record: SessionRecord = {
      sid: newSessionId(),
      token: newToken(),
      user,
      state: {},
      rooms: {},
      transport,
      createdAt: now,
      lastSeen: now,
      ...(client ? { client } : {}),
    }
    setJoin(record, BROADCAST_ROOM, await this.store.position(`r:${BROADCAST_ROOM}`))
    const socket = new Socket<L, E, D>(this, record, request)
    this.pendingConnects.add(record.sid)
    try {
      for (const mw of this.middlewares) await runMiddleware(mw, socket)
    } catch (err) {
      // Rooms joined by a refusing middleware are released again.
      await this.store.dropMemberships(record.sid, Object.keys(record.rooms).filter((r) => r !== BROADCAST_ROOM))
      await this.store.deleteSession(record.sid)
      throw refusal(err)
    } finally {
      this.pendingConnects.delete(record.sid)
    }
    await this.store.createSession(record, this.limits)
    await this.announce(PRESENCE_JOIN, record.sid, record.user, Object.keys(record.rooms))
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

  /** Runs claimed client messages' handlers (see Dispatcher); the socket is rebuilt from the record. */
  runMessages(record: SessionRecord, messages: RunnableMessage[], onStarted?: () => void): Promise<HandlerOutcome[]> {
    const rooms = Object.keys(record.rooms).filter((r) => r !== BROADCAST_ROOM)
    return this.dispatcher.run(new Socket<L, E, D>(this, record), record.sid, messages, rooms, onStarted)
  }

  /**
   * Ends a session once across all instances, in steps that survive a crash: the
   * store's ending index (a lease) decides which caller wins; the rooms are left and
   * onDisconnect runs (once: it is marked done), then the session is kept for the
   * recovery window (an idle ending) or deleted. An ending whose instance died
   * mid-way is taken up again by a later sweep once its lease lapses.
   */
  async endSession(sid: string, reason: string, clientReason: string, idleBefore?: number): Promise<boolean> {
    if (!(await this.store.beginEnd(sid, END_LEASE_MS, idleBefore))) return false
    const record = (await this.store.getSession(sid)) ?? expiredRecord(sid)
    const rooms = Object.keys(record.rooms).filter((r) => r !== BROADCAST_ROOM)
    // Leave rooms first, so member lists read in onDisconnect no longer hold this session.
    await this.store.dropMemberships(sid, rooms)
    // Once per ending (an ending resumed after a crash may announce again: members see a repeat).
    if (!record.disconnected) await this.announce(PRESENCE_LEAVE, sid, record.user, rooms)
    if (!record.disconnected) {
      const socket = new Socket<L, E, D>(this, record)
      for (const fn of this.disconnectHandlers) {
        try {
          await fn(socket, reason)
        } catch (err) {
          console.error('[socket-serve] onDisconnect handler failed:', err)
        }
      }
      await this.store.markDisconnected(sid)
    }
    const recoverable = RECOVERABLE_REASONS.has(reason) && this.opts.recoveryWindow > 0
    // A final ending tells the session's streams, on any instance; an idle one has nobody
    // listening (or a stream whose touch was lost: its next heartbeat revives the session).
    if (!recoverable) await this.append(`d:${sid}`, endEntry(clientReason))
    const keep = recoverable ? this.opts.recoveryWindow : clientReason === DisconnectFrameReason.Kick ? KICK_GRACE_MS : 0
    await this.store.finishEnd(sid, reason, keep)
    this.observer.lifecycle('disconnect', sid, { reason })
    return true
  }

  /**
   * A request for a session that was ended for being idle, within the recovery
   * window: it becomes live again (rooms restored, onConnect runs with
   * socket.recovered true), once across instances.
   */
  async revive(record: SessionRecord, forStream = false): Promise<SessionRecord> {
    if (record.ended === undefined) return record
    if (!RECOVERABLE_REASONS.has(record.ended)) {
      // Kicked: a stream still reads the log to its disconnect frame; nothing else is served.
      if (forStream) return record
      throw new SocketServeError('SESSION_NOT_FOUND', 'the session has ended')
    }
    const live: SessionRecord = { ...record, lastSeen: Date.now() }
    delete live.ended
    if (!(await this.store.revive(record.sid, live.lastSeen, this.limits))) return live
    await this.store.restoreMemberships(record.sid, Object.keys(record.rooms).filter((r) => r !== BROADCAST_ROOM), this.limits)
    await this.announce(PRESENCE_JOIN, record.sid, record.user, Object.keys(record.rooms))
    this.observer.lifecycle('connect', record.sid)
    const socket = new Socket<L, E, D>(this, live, undefined, true)
    for (const fn of this.connectHandlers) {
      try {
        await fn(socket)
      } catch (err) {
        console.error('[socket-serve] onConnect handler failed:', err)
      }
    }
    return live
  }

  /** The heartbeat found sessions with a live stream here marked ended (a lost touch): revive them. */
  async reviveById(sids: string[]): Promise<void> {
    for (const sid of sids) {
      const record = await this.store.getSession(sid)
      if (record) await this.revive(record)
    }
  }

  /**
   * A sweep, when one is due on this instance: requests await it before they
   * answer (serverless runs nothing after the answer). Long-lived servers that
   * set sweepInterval also sweep on a timer.
   */
  sweepIfDue(): Promise<number> | undefined {
    if (this.closed) return undefined
    if (!this.sweepTimer && this.opts.sweepInterval > 0) {
      this.sweepTimer = setInterval(() => void this.sweep().catch(logSweepError), this.opts.sweepInterval)
      ;(this.sweepTimer as { unref?: () => void }).unref?.()
    }
    const now = Date.now()
    const every = this.opts.sweepInterval || Math.max(1000, this.opts.disconnectTimeout / 3)
    if (now - this.lastSweep < every) return undefined
    this.lastSweep = now
    return this.sweep().catch((err) => {
      logSweepError(err)
      return 0
    })
  }

  private async runSweep(): Promise<number> {
    const cutoff = Date.now() - this.opts.disconnectTimeout
    let ended = 0
    for (;;) {
      const idle = await this.store.idleSessions(cutoff, 500)
      if (idle.length === 0) break
      // Streams open on this instance keep their session alive even if a touch was missed.
      const candidates = idle.filter((sid) => !this.streams.hasStream(sid))
      for (const sid of candidates) {
        if (await this.endSession(sid, 'ping timeout', 'ping timeout', cutoff)) ended++
      }
      if (idle.length < 500 || candidates.length === 0) break
    }
    return ended
  }

  private async socketsOf(sids: string[]): Promise<Socket<L, E, D>[]> {
    const records = await Promise.all(sids.map((sid) => this.store.getSession(sid)))
    return records.filter((r): r is SessionRecord => r !== null).map((r) => new Socket<L, E, D>(this, r))
  }

}

function roomCount(rooms: Record<string, number>): number {
  return Object.keys(rooms).filter((r) => r !== BROADCAST_ROOM).length
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

/** A session whose record expired before its ending: onDisconnect still runs, with what is known. */
function expiredRecord(sid: string): SessionRecord {
  return { sid, token: '', user: undefined, state: {}, rooms: {}, transport: '', createdAt: 0, lastSeen: 0 }
}

function logSweepError(err: unknown): void {
  console.error('[socket-serve] sweep failed:', err)
}
