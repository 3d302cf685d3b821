import { devtoolsHook, report } from '../devtools/hook.js'
import { SocketServeError } from '../protocol/errors.js'
import { isValidEventName } from '../protocol/names.js'
import type { Transport as TransportName } from '../protocol/wire.js'
import { transportList } from '../transports/index.js'
import { Connection } from './connection.js'
import { Emitter, type Listener } from './emitter.js'
import { resolveRoutes } from './endpoint.js'
import type { AckReply, DefaultEventsMap, EventNames, EventParams, EventPayload, EventsMap, ReservedEvents, TimeoutEventParams } from './events.js'
import { DEFAULT_EMIT_WITH_ACK_TIMEOUT, resolveOptions, type ConnectOptions, type ResolvedOptions } from './options.js'
import { LeaveCode } from './reasons.js'
import type { AckHandler } from './send-queue.js'
import { State } from './state.js'

export interface EmitWithAckOptions {
  /** ms before the promise rejects with ACK_TIMEOUT */
  timeout?: number
}

/** How an ack callback is called: Socket.IO's plain emit style, or error-first (timeout().emit). */
type AckStyle = 'plain' | 'error-first'

let socketCount = 0

/**
 * A socket-serve connection. Created by `connect()`; connects in the
 * background and keeps its session across reconnections. This class is the
 * public surface only: the connection's state machine is in connection.ts,
 * receiving in inbound.ts, sending in outbox.ts.
 *
 * Ack callbacks: `emit(ev, data, cb)` calls `cb(reply)`; when the server's
 * handler failed, or `ackTimeout` expired, `cb` receives a `SocketServeError`
 * as its only argument (check `instanceof SocketServeError`).
 * `timeout(ms).emit(ev, data, cb)` calls `cb(err, reply)`, error first, as
 * socket.io-client does. An emit without ack that the server refused (or
 * that was lost with its session) fires `error` with `(err, { event })`.
 */
export class ClientSocket<Listen extends EventsMap = DefaultEventsMap, Emit extends EventsMap = Listen> {
  /** Emits sent only when connected; dropped otherwise (for cursor-like traffic). */
  readonly volatile: { emit<Ev extends EventNames<Emit>>(ev: Ev, ...args: EventParams<Emit, Ev>): ClientSocket<Listen, Emit> }

  private readonly opts: ResolvedOptions
  private readonly emitter = new Emitter()
  private readonly connection: Connection

  constructor(url: string | URL, options: ConnectOptions = {}) {
    this.opts = resolveOptions(options)
    const routes = resolveRoutes(url)
    const uid = ++socketCount
    this.connection = new Connection(this.opts, routes, transportList(this.opts.transports), {
      emit: (event, ...args) => {
        if (event === 'error' && !this.emitter.has('error')) {
          const err = args[0] as SocketServeError
          console.error(`[socket-serve] "${(args[1] as { event: string }).event}" was not delivered (${err.code}): ${err.message}`)
        }
        this.emitter.emit(event, ...args)
      },
      state: (change) => {
        const hook = devtoolsHook()
        if (hook) {
          const c = this.connection
          const info = { url: routes.connect, sid: c.session?.sid, transport: c.transport?.name }
          report(hook, 'state', { socket: uid, time: Date.now(), from: change.oldState, to: change.newState, ...info })
        }
        this.emitter.emit('state', change)
      },
    }, uid)
    this.volatile = {
      emit: (ev, ...args) => {
        this.send(ev, args as unknown[], { volatile: true })
        return this
      },
    }
  }

  // ---- state ----------------------------------------------------------------

  /** The session id; undefined until connected. */
  get id(): string | undefined {
    return this.connected ? this.connection.session?.sid : undefined
  }

  get connected(): boolean {
    return this.connection.state === State.Connected
  }

  /** Connected, or trying to (re)connect. */
  get active(): boolean {
    return this.connection.state !== State.Disconnected
  }

  /** The transport carrying the receive stream; undefined until connected. */
  get transport(): TransportName | undefined {
    return this.connected ? this.connection.transport?.name : undefined
  }

  /** False once a reconnect or a resumed stream lost messages (see the 'gap' event), and for a new session. */
  get recovered(): boolean {
    return this.connection.inbound.recovered
  }

  // ---- listeners ------------------------------------------------------------

  on<Ev extends keyof ReservedEvents>(event: Ev, listener: ReservedEvents[Ev]): this
  on<Ev extends EventNames<Listen>>(event: Ev, listener: Listen[Ev]): this
  on(event: string, listener: Listener): this {
    this.emitter.on(event, listener)
    return this
  }

  once<Ev extends keyof ReservedEvents>(event: Ev, listener: ReservedEvents[Ev]): this
  once<Ev extends EventNames<Listen>>(event: Ev, listener: Listen[Ev]): this
  once(event: string, listener: Listener): this {
    this.emitter.once(event, listener)
    return this
  }

  /** off(event, fn) removes one listener, off(event) all of the event, off() all. */
  off<Ev extends keyof ReservedEvents>(event?: Ev, listener?: ReservedEvents[Ev]): this
  off<Ev extends EventNames<Listen>>(event?: Ev, listener?: Listen[Ev]): this
  off(event?: string, listener?: Listener): this {
    this.emitter.off(event, listener)
    return this
  }

  listeners(event: string): Listener[] {
    return this.emitter.listenersOf(event)
  }

  // ---- sending --------------------------------------------------------------

  /**
   * Sends an event. One payload; a trailing function is the ack callback,
   * called with the server's reply, or with a SocketServeError when the
   * handler failed (or `ackTimeout` expired). Buffered while disconnected.
   */
  emit<Ev extends EventNames<Emit>>(event: Ev, ...args: EventParams<Emit, Ev>): this {
    this.send(event, args as unknown[], {})
    return this
  }

  /**
   * Sends an event and resolves with the server's ack. Rejects with a
   * SocketServeError: `ACK_TIMEOUT` after `timeout` (default: ackTimeout,
   * else 10 s), the server's code when its handler failed.
   */
  emitWithAck<Ev extends EventNames<Emit>>(
    event: Ev,
    data?: EventPayload<Emit[Ev]>,
    options: EmitWithAckOptions = {},
  ): Promise<AckReply<Emit[Ev]>> {
    const timeout = options.timeout ?? this.opts.ackTimeout ?? DEFAULT_EMIT_WITH_ACK_TIMEOUT
    return new Promise((resolve, reject) => {
      const settle: AckHandler = (err, reply) => (err ? reject(err) : resolve(reply as AckReply<Emit[Ev]>))
      this.send(event, data === undefined ? [] : [data], { timeout, handler: settle })
    })
  }

  /** Socket.IO's `socket.timeout(ms).emit(ev, data, (err, reply) => ...)`: error-first callback. */
  timeout(ms: number): {
    emit<Ev extends EventNames<Emit>>(event: Ev, ...args: TimeoutEventParams<Emit, Ev>): ClientSocket<Listen, Emit>
    emitWithAck<Ev extends EventNames<Emit>>(event: Ev, data?: EventPayload<Emit[Ev]>): Promise<AckReply<Emit[Ev]>>
  } {
    return {
      emit: (event, ...args) => {
        this.send(event, args as unknown[], { timeout: ms, style: 'error-first' })
        return this
      },
      emitWithAck: (event, data) => this.emitWithAck(event, data, { timeout: ms }),
    }
  }

  // ---- connecting -----------------------------------------------------------

  /** Connects (or reconnects after disconnect()). Called by `connect()` unless autoConnect is false. */
  connect(): this {
    this.connection.connect()
    return this
  }

  /** Ends the session (POST {base}/disconnect) and stops reconnecting. */
  disconnect(): this {
    this.connection.leave(LeaveCode.ClientDisconnect)
    return this
  }

  private send(event: string, args: unknown[], flags: { volatile?: boolean; timeout?: number; style?: AckStyle; handler?: AckHandler }): void {
    if (!isValidEventName(event)) {
      throw new SocketServeError('INVALID_NAME', `"${String(event)}" is not a valid event name (reserved or bad characters)`)
    }
    const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as (...a: unknown[]) => void) : undefined
    if (flags.volatile && !this.connected) return
    const timeout = flags.timeout ?? (callback ? this.opts.ackTimeout : undefined)
    let handler = flags.handler
    if (!handler && callback) {
      handler =
        flags.style === 'error-first'
          ? (err, reply) => (err ? callback(err) : callback(null, reply))
          : (err, reply) => callback(err ?? reply)
    }
    this.connection.outbox.send(event, args[0], handler, timeout)
  }
}
