import { devtoolsHook, report } from '../devtools/hook.js'
import { SocketServeError } from '../protocol/errors.js'
import { isValidEventName, RESERVED_EVENTS } from '../protocol/names.js'
import {
  CURSOR_HEADER,
  SID_HEADER,
  TOKEN_HEADER,
  type AckResult,
  type MessageBatchReply,
  type ServerFrame,
  type Transport as TransportName,
} from '../protocol/wire.js'
import { transportList, type ClientTransport } from '../transports/index.js'
import { PingTimeoutError, readResponse } from '../transports/read-stream.js'
import type { SseEvent } from '../transports/sse-parser.js'
import { AckSender } from './ack-sender.js'
import { backoffDelay } from './backoff.js'
import { utf8Length } from './byte-length.js'
import { CursorTracker } from './cursor.js'
import { Emitter, rethrowLater, type Listener } from './emitter.js'
import { resolveRoutes, type Routes } from './endpoint.js'
import type { AckReply, DefaultEventsMap, EventNames, EventParams, EventPayload, EventsMap, ReservedEvents, TimeoutEventParams } from './events.js'
import { readJson, request, toSocketError } from './http.js'
import { DEFAULT_EMIT_WITH_ACK_TIMEOUT, resolveOptions, type ConnectOptions, type ResolvedOptions } from './options.js'
import { watchPageLifecycle } from './page-lifecycle.js'
import { createSession, sessionHeaders, type Session } from './session.js'
import { DisconnectReason } from './reasons.js'
import { SendQueue, type AckHandler, type QueuedMessage } from './send-queue.js'
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
 * background and keeps its session across reconnections.
 *
 * Ack callbacks: `emit(ev, data, cb)` calls `cb(reply)`; when the server's
 * handler failed, or `ackTimeout` expired, `cb` receives a `SocketServeError`
 * as its only argument (check `instanceof SocketServeError`).
 * `timeout(ms).emit(ev, data, cb)` calls `cb(err, reply)`, error first, as
 * socket.io-client does.
 */
export class ClientSocket<Listen extends EventsMap = DefaultEventsMap, Emit extends EventsMap = Listen> {
  /** Emits sent only when connected; dropped otherwise (for cursor-like traffic). */
  readonly volatile: { emit<Ev extends EventNames<Emit>>(ev: Ev, ...args: EventParams<Emit, Ev>): ClientSocket<Listen, Emit> }
  /** True when the last 'connect' resumed the previous session without losing messages. */
  recovered = false

  private readonly opts: ResolvedOptions
  private readonly routes: Routes
  private readonly transports: ClientTransport[]
  private readonly emitter = new Emitter()
  private readonly cursor = new CursorTracker()
  private readonly queue: SendQueue
  private readonly acks: AckSender
  private readonly uid = ++socketCount

  private state: State = State.Disconnected
  private session: Session | undefined
  /** the session was created for the current attempt: its first open is not a recovery */
  private sessionIsNew = false
  /** bumped whenever the current attempt is abandoned, so its async continuations stop */
  private epoch = 0
  private controller: AbortController | undefined
  private transportIndex = 0
  /** some transport opened once: stop falling through to the next one */
  private transportOpened = false
  private current: ClientTransport | undefined
  private attempts = 0
  private reconnecting = false
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private closedByUser = false
  private unwatchPage: (() => void) | undefined
  private hiddenByPage = false

  constructor(url: string | URL, options: ConnectOptions = {}) {
    this.opts = resolveOptions(options)
    this.routes = resolveRoutes(url)
    this.transports = transportList(this.opts.transports)
    this.queue = new SendQueue({
      ready: () => this.state === State.Connected && this.session !== undefined,
      send: (body, batch, signal) => this.postMessages(body, batch, signal),
      retryDelay: (attempt) => this.backoff(attempt),
      sessionLost: (err) => this.sessionLost(err),
      maxBytes: () => this.session?.maxPayload ?? 1_000_000,
    })
    this.acks = new AckSender({
      post: (body) => this.postAcks(body),
      retryDelay: (attempt) => this.backoff(attempt),
    })
    this.volatile = {
      emit: (ev, ...args) => {
        this.send(ev, args as unknown[], { volatile: true })
        return this
      },
    }
  }

  // ---- public surface -------------------------------------------------------

  /** The session id; undefined until connected. */
  get id(): string | undefined {
    return this.state === State.Connected ? this.session?.sid : undefined
  }

  get connected(): boolean {
    return this.state === State.Connected
  }

  /** Connected, or trying to (re)connect. */
  get active(): boolean {
    return this.state !== State.Disconnected
  }

  /** The transport carrying the receive stream; undefined until connected. */
  get transport(): TransportName | undefined {
    return this.state === State.Connected ? this.current?.name : undefined
  }

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

  /** Connects (or reconnects after disconnect()). Called by `connect()` unless autoConnect is false. */
  connect(): this {
    if (this.state !== State.Disconnected) return this
    this.closedByUser = false
    this.hiddenByPage = false
    this.attempts = 0
    this.reconnecting = false
    this.watchPage(true)
    this.setState(State.Connecting)
    void this.open()
    return this
  }

  /** Ends the session (POST {base}/disconnect) and stops reconnecting. */
  disconnect(): this {
    this.close(false)
    return this
  }

  // ---- connecting -----------------------------------------------------------

  private async open(): Promise<void> {
    const epoch = ++this.epoch
    if (this.transports.length === 0) {
      return this.connectFailed(new SocketServeError('CONNECTION_FAILED', 'no usable transport in this runtime', { status: 0 }))
    }
    if (!this.session) {
      let session: Session
      try {
        const controller = new AbortController()
        this.controller = controller
        session = await createSession(this.opts, this.routes, this.candidates()[this.transportIndex]?.name, controller)
      } catch (err) {
        if (epoch === this.epoch) this.connectFailed(toSocketError(err))
        return
      }
      // closed while the session was being made: end it rather than leave it to time out
      if (epoch !== this.epoch) return this.sendDisconnect(session, false)
      this.adoptSession(session)
    }
    void this.receive(epoch)
  }

  /** A new session: fresh cursor, ids restart, unanswered messages are resent under new ids. */
  private adoptSession(session: Session): void {
    this.session = session
    this.sessionIsNew = true
    this.cursor.clear()
    this.acks.clear()
    this.queue.newSession()
    if (this.transportIndex >= this.candidates().length) this.transportIndex = 0
  }

  /** The application's transports that the server also accepts, in the application's order. */
  private candidates(): ClientTransport[] {
    const allowed = this.session?.transports
    if (!allowed) return this.transports
    const list = this.transports.filter((t) => allowed.includes(t.name))
    return list.length > 0 ? list : this.transports
  }

  // ---- receiving ------------------------------------------------------------

  /**
   * The receive loop of one (re)connection: one response after another (SSE
   * resumed after a planned cut, or the next poll), from the cursor.
   */
  private async receive(epoch: number): Promise<void> {
    let first = true
    let resumedSilently = false
    while (epoch === this.epoch && this.session) {
      const transport = this.candidates()[this.transportIndex]
      let outcome: 'end' | 'stopped' | SocketServeError
      try {
        outcome = await this.readOnce(transport, this.session, first, epoch)
      } catch (err) {
        outcome = toSocketError(err)
      }
      if (epoch !== this.epoch || outcome === 'stopped') return
      if (outcome === 'end') {
        // a planned cut (maxStreamDuration) or a delivered poll: not a disconnect
        first = false
        resumedSilently = false
        continue
      }
      const err = outcome
      if (err.code === 'SESSION_NOT_FOUND' || err.code === 'UNAUTHORIZED') return this.sessionLost(err)
      if (this.state !== State.Connected) {
        if (!this.transportOpened && this.transportIndex + 1 < this.candidates().length) {
          // a transport that never opened falls through to the next at once
          this.transportIndex++
          first = true
          continue
        }
        return this.connectFailed(err)
      }
      const pingTimeout = err instanceof PingTimeoutError
      if (!pingTimeout && !resumedSilently) {
        // one immediate, silent resume: a single dropped connection is not worth a disconnect
        resumedSilently = true
        first = false
        continue
      }
      return this.transportLost(pingTimeout ? DisconnectReason.PingTimeout : DisconnectReason.TransportClose)
    }
  }

  private async readOnce(transport: ClientTransport, session: Session, first: boolean, epoch: number): Promise<'end' | 'stopped'> {
    const controller = new AbortController()
    this.controller = controller
    let opened = false
    const headers: Record<string, string> = { ...this.opts.headers, [SID_HEADER]: session.sid, [TOKEN_HEADER]: session.token }
    const cursor = this.cursor.header()
    if (cursor) headers[CURSOR_HEADER] = cursor
    const result = await readResponse(transport, { fetch: this.opts.fetch, routes: this.routes, headers, first }, controller, {
      idleTimeout: session.pingInterval + session.pingTimeout,
      onEvent: (event) => {
        if (epoch !== this.epoch) return false
        if (this.onEvent(event, transport) === 'open') opened = true
        return epoch === this.epoch
      },
    })
    if (result === 'end' && !opened) {
      // guards against a hot loop on a proxy that answers 200 with something else
      throw new SocketServeError('CONNECTION_FAILED', `${transport.name} response ended without an open frame`, { status: 0 })
    }
    return result
  }

  private onEvent(event: SseEvent, transport: ClientTransport): 'open' | undefined {
    let frame: ServerFrame
    try {
      frame = JSON.parse(event.data) as ServerFrame
    } catch {
      return undefined // not ours: ignore rather than kill the stream
    }
    if (frame === null || typeof frame !== 'object') return undefined
    const hook = devtoolsHook()
    if (hook) report(hook, 'frame:in', { socket: this.uid, time: Date.now(), bytes: utf8Length(event.data), id: event.id, transport: transport.name, frame })
    if ('c' in frame) {
      if (frame.c === 'open') {
        this.onOpen(frame.recovered === true, frame.pingInterval, transport)
        return 'open'
      }
      if (frame.c === 'disconnect') this.serverDisconnect()
      return undefined
    }
    if (typeof frame.e !== 'string' || RESERVED_EVENTS.has(frame.e)) return undefined
    if (!this.cursor.accept(event.id)) return undefined // already delivered (a replay overlap)
    this.dispatch(frame.e, frame.d, frame.a)
    return undefined
  }

  private onOpen(recovered: boolean, pingInterval: number | undefined, transport: ClientTransport): void {
    if (this.session && typeof pingInterval === 'number' && pingInterval > 0) this.session.pingInterval = pingInterval
    if (this.state === State.Connected) return // a resumed stream, or the next poll
    this.transportOpened = true
    this.current = transport
    this.recovered = this.sessionIsNew ? false : recovered
    this.sessionIsNew = false
    const attempts = this.attempts
    const wasReconnecting = this.reconnecting
    this.attempts = 0
    this.reconnecting = false
    this.setState(State.Connected)
    if (wasReconnecting) this.emitter.emit('reconnect', attempts)
    if ((this.state as State) === State.Connected) this.emitter.emit('connect') // a reconnect listener may have disconnected
    // buffered emits and those made in 'connect' listeners leave together
    this.queue.schedule()
  }

  private dispatch(event: string, data: unknown, ackId: string | undefined): void {
    if (ackId === undefined) return this.emitter.emit(event, data)
    let answered = false
    const sentAt = Date.now()
    const ack = (reply?: unknown) => {
      if (answered) return
      answered = true
      this.acks.add(ackId, reply)
      const hook = devtoolsHook()
      if (hook) report(hook, 'ack', { socket: this.uid, direction: 'server', event, id: ackId, latency: Date.now() - sentAt })
    }
    this.emitter.emit(event, data, ack)
  }

  // ---- sending --------------------------------------------------------------

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
    const ack = handler && this.guardAck(event, handler, timeout)
    try {
      this.queue.push(event, args[0], ack)
    } catch (err) {
      ack?.cancel() // the payload could not be serialized: nothing was queued
      throw err
    }
  }

  /** Once-only ack with an optional timeout, reported to DevTools; user errors do not escape into the queue. */
  private guardAck(event: string, handler: AckHandler, timeout: number | undefined): AckHandler & { cancel(): void } {
    const start = Date.now()
    let done = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const settle: AckHandler = (err, reply) => {
      if (done) return
      done = true
      clearTimeout(timer)
      const hook = devtoolsHook()
      if (hook) report(hook, 'ack', { socket: this.uid, direction: 'client', event, latency: Date.now() - start, error: err?.code })
      try {
        handler(err, reply)
      } catch (e) {
        rethrowLater(e)
      }
    }
    if (timeout !== undefined && Number.isFinite(timeout)) {
      timer = setTimeout(() => settle(new SocketServeError('ACK_TIMEOUT', `no ack for "${event}" within ${timeout} ms`)), timeout)
    }
    return Object.assign(settle, {
      cancel: () => {
        done = true
        clearTimeout(timer)
      },
    })
  }

  private async postMessages(body: string, batch: readonly QueuedMessage[], signal: AbortSignal): Promise<AckResult[]> {
    const session = this.session
    if (!session) throw new SocketServeError('DISCONNECTED', 'no session')
    const hook = devtoolsHook()
    if (hook) {
      // The encoded payload is already at hand, so the panel can show it at no extra cost.
      const messages = batch.map((m) => ({ id: m.id, event: m.event, ack: m.ack !== undefined, json: m.json }))
      report(hook, 'frame:out', { socket: this.uid, time: Date.now(), bytes: utf8Length(body), messages })
    }
    const res = await request(this.opts.fetch, this.routes.message, {
      method: 'POST',
      headers: sessionHeaders(this.opts, session),
      body,
      signal,
    })
    const reply = await readJson<Partial<MessageBatchReply>>(res)
    return Array.isArray(reply?.acks) ? reply.acks : []
  }

  private async postAcks(body: string): Promise<void> {
    const session = this.session
    if (!session) throw new SocketServeError('DISCONNECTED', 'no session')
    const res = await request(this.opts.fetch, this.routes.ack, { method: 'POST', headers: sessionHeaders(this.opts, session), body })
    await res.body?.cancel().catch(() => {})
  }

  // ---- losing the connection ------------------------------------------------

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.opts.reconnectionDelay, this.opts.reconnectionDelayMax)
  }

  /** Abandons the current attempt: its requests are aborted and its continuations see a stale epoch. */
  private abandon(): void {
    this.epoch++
    this.controller?.abort()
    this.controller = undefined
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
  }

  /** A connection attempt failed (connect refused, stream never opened). */
  private connectFailed(err: SocketServeError): void {
    this.abandon()
    if (!this.transportOpened) this.transportIndex = 0
    // Refused by auth or middleware: retrying cannot help, so stop (as Socket.IO does); connect() retries by hand.
    if (err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN') {
      this.attempts = 0
      this.reconnecting = false
      this.setState(State.Disconnected)
      this.emitter.emit('connect_error', err)
      return
    }
    this.emitter.emit('connect_error', err)
    if (this.state === State.Connecting) this.scheduleReconnect(err.retryAfter)
  }

  /** The receive stream is gone while connected: disconnect now, reconnect (same session) with backoff. */
  private transportLost(reason: DisconnectReason): void {
    this.abandon()
    this.setState(this.opts.reconnection ? State.Connecting : State.Disconnected)
    this.emitter.emit('disconnect', reason)
    if (this.state === State.Connecting) this.scheduleReconnect()
  }

  /** The server forgot the session (404) or refuses its token (401): make a new one at once. */
  private sessionLost(err: SocketServeError): void {
    if (!this.session) return
    this.session = undefined
    this.abandon()
    if (this.state === State.Connected) {
      this.setState(this.opts.reconnection ? State.Connecting : State.Disconnected)
      this.emitter.emit('disconnect', DisconnectReason.TransportClose)
    } else if (this.state === State.Connecting) {
      this.emitter.emit('connect_error', err)
    }
    if (this.state === State.Connecting) this.scheduleReconnect(undefined, true)
  }

  /** A `disconnect` frame: the server ended the session. No reconnection. */
  private serverDisconnect(): void {
    const wasConnected = this.state === State.Connected
    this.session = undefined
    this.abandon()
    this.reconnecting = false
    this.attempts = 0
    this.setState(State.Disconnected)
    this.watchPage(false)
    this.acks.clear()
    this.queue.clear(new SocketServeError('DISCONNECTED', 'the server ended the session'))
    if (wasConnected) this.emitter.emit('disconnect', DisconnectReason.ServerDisconnect)
  }

  private scheduleReconnect(retryAfter?: number, immediate = false): void {
    if (!this.opts.reconnection || this.closedByUser) return this.setState(State.Disconnected)
    if (this.attempts >= this.opts.reconnectionAttempts) {
      this.attempts = 0
      this.reconnecting = false
      this.setState(State.Disconnected)
      this.emitter.emit('reconnect_failed')
      return
    }
    let delay = immediate ? 0 : this.backoff(this.attempts)
    if (retryAfter !== undefined) delay = Math.max(delay, retryAfter * 1000)
    this.attempts++
    this.reconnecting = true
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (this.state !== State.Connecting) return
      this.emitter.emit('reconnect_attempt', this.attempts)
      if (this.state === State.Connecting) void this.open()
    }, delay)
  }

  // ---- closing --------------------------------------------------------------

  private close(fromPage: boolean): void {
    if (this.state === State.Disconnected && !this.session) {
      if (!fromPage) this.watchPage(false)
      return
    }
    const wasConnected = this.state === State.Connected
    const session = this.session
    this.closedByUser = true
    this.session = undefined
    this.abandon()
    this.reconnecting = false
    this.attempts = 0
    this.setState(State.Disconnected)
    if (!fromPage) this.watchPage(false)
    this.acks.clear()
    this.queue.clear(new SocketServeError('DISCONNECTED', 'the socket was disconnected'))
    if (session) this.sendDisconnect(session, fromPage)
    if (wasConnected) this.emitter.emit('disconnect', DisconnectReason.ClientDisconnect)
  }

  /** Fire and forget; `keepalive` lets the request outlive a page being unloaded. */
  private sendDisconnect(session: Session, keepalive: boolean): void {
    const init: RequestInit = { method: 'POST', headers: sessionHeaders(this.opts, session), body: '{}' }
    if (keepalive) init.keepalive = true
    this.opts
      .fetch(this.routes.disconnect, init)
      .then((res) => res.body?.cancel())
      .catch(() => {})
  }

  /** On a page, end the session when it is hidden for good, and resume if it comes back from bfcache. */
  private watchPage(on: boolean): void {
    if (on && !this.unwatchPage) {
      this.unwatchPage = watchPageLifecycle({
        hide: () => {
          if (this.state === State.Disconnected) return
          this.hiddenByPage = true
          this.close(true)
        },
        show: () => {
          if (this.hiddenByPage) this.connect()
        },
      })
    } else if (!on && this.unwatchPage) {
      this.unwatchPage()
      this.unwatchPage = undefined
    }
  }

  private setState(next: State): void {
    const prev = this.state
    if (prev === next) return
    this.state = next
    const hook = devtoolsHook()
    if (hook) {
      report(hook, 'state', {
        socket: this.uid,
        url: this.routes.connect,
        time: Date.now(),
        from: prev,
        to: next,
        sid: this.session?.sid,
        transport: this.current?.name,
      })
    }
  }
}
