import { SocketServeError } from '../protocol/errors.js'
import { isKick } from '../protocol/wire.js'
import type { ClientTransport } from '../transports/index.js'
import { PingTimeoutError } from '../transports/read-stream.js'
import { backoffDelay } from './backoff.js'
import type { Routes } from './endpoint.js'
import { toSocketError } from './http.js'
import { Inbound } from './inbound.js'
import type { ResolvedOptions } from './options.js'
import { Outbox } from './outbox.js'
import { watchPageLifecycle } from './page-lifecycle.js'
import { DisconnectReason, LEAVE, LeaveCode } from './reasons.js'
import { createSession, sessionHeaders, type Session } from './session.js'
import { State, type StateChange } from './state.js'

export interface ConnectionEvents {
  /** a public socket event: connect, disconnect, connect_error, reconnect*, gap, error, application events */
  emit(event: string, ...args: unknown[]): void
  /** the one state change point; the socket makes it the public 'state' event and reports it to DevTools */
  state(change: StateChange): void
}

/**
 * The connection: its state, the session, the reconnection attempts and the
 * reason it last left a state (a LeaveCode). Every way out goes through
 * `leave(code)`, which does every reset in one place; the receive side
 * (Inbound) and the send side (Outbox) only report to it.
 */
export class Connection {
  state: State = State.Disconnected
  session: Session | undefined
  /** the transport that carried an open stream; until one did, a failing transport falls through to the next */
  transport: ClientTransport | undefined
  /** why the connection last left connecting/connected */
  code: LeaveCode | undefined
  readonly inbound: Inbound
  readonly outbox: Outbox

  private attempts = 0
  /** the current attempt; aborting it stops its requests and its continuations */
  private attempt: AbortController | undefined
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  /** the transport to try next while none has opened */
  private next = 0
  private unwatchPage: (() => void) | undefined

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly routes: Routes,
    private readonly transports: ClientTransport[],
    private readonly events: ConnectionEvents,
    uid: number,
  ) {
    this.inbound = new Inbound(
      {
        connected: () => this.state === State.Connected,
        transport: () => this.transport ?? this.candidates()[this.next] ?? this.transports[0],
        opened: (transport) => this.opened(transport),
        failed: (err) => this.receiveFailed(err),
        ended: (reason) => (isKick(reason) ? this.leave(LeaveCode.ServerKick) : this.leave(LeaveCode.ServerEnded, { reason: publicReason(reason) })),
        emit: events.emit,
        reply: (id, data) => this.outbox.reply(id, data),
      },
      opts,
      routes,
      uid,
    )
    this.outbox = new Outbox(
      {
        ready: () => this.state === State.Connected,
        session: () => this.session,
        sessionLost: (err) => this.session && this.leave(LeaveCode.SessionLost, { error: err }),
        refused: (err, event) => events.emit('error', err, { event }),
        retryDelay: (attempt) => this.backoff(attempt),
      },
      opts,
      routes,
      uid,
    )
  }

  connect(): void {
    if (this.state !== State.Disconnected) return
    this.attempts = 0
    this.watchPage(true)
    this.setState(State.Connecting)
    void this.open()
  }

  /**
   * The one way out of connecting/connected. Stops the current attempt, drops
   * what the code says is gone (session, buffered messages), picks the next
   * state, tells the application, and schedules the reconnection.
   */
  leave(code: LeaveCode, opts: { reconnect?: boolean; error?: SocketServeError; reason?: DisconnectReason } = {}): void {
    const [defaultReason, reconnects] = LEAVE[code]
    const wasConnected = this.state === State.Connected
    const session = this.session
    this.code = code
    this.attempt?.abort()
    this.attempt = undefined
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = undefined
    if (!this.transport) this.next = 0

    const ended = code === LeaveCode.ClientDisconnect || code === LeaveCode.PageHidden || code === LeaveCode.ServerKick
    if (ended || code === LeaveCode.SessionLost) this.session = undefined
    if (code === LeaveCode.SessionLost) this.outbox.sessionLost()
    if (ended) {
      const why = code === LeaveCode.ServerKick ? 'the server ended the session' : 'the socket was disconnected'
      this.outbox.clear(new SocketServeError('DISCONNECTED', why))
    }
    if (code === LeaveCode.ClientDisconnect || code === LeaveCode.ServerKick) this.watchPage(false)
    if (session && (code === LeaveCode.ClientDisconnect || code === LeaveCode.PageHidden)) this.sendDisconnect(session, code === LeaveCode.PageHidden)

    const wantsRetry = (opts.reconnect ?? reconnects) && this.opts.reconnection
    const exhausted = wantsRetry && this.attempts >= this.opts.reconnectionAttempts
    if (!wantsRetry || exhausted) this.attempts = 0
    this.setState(wantsRetry && !exhausted ? State.Connecting : State.Disconnected)

    if (wasConnected) this.events.emit('disconnect', opts.reason ?? defaultReason)
    else if (opts.error) this.events.emit('connect_error', opts.error)
    if (exhausted) return this.events.emit('reconnect_failed')
    // a listener may have called connect() or disconnect() meanwhile
    if (this.state !== State.Connecting || this.attempt || this.reconnectTimer !== undefined) return
    let delay = code === LeaveCode.SessionLost ? 0 : this.backoff(this.attempts)
    if (opts.error?.retryAfter !== undefined) delay = Math.max(delay, opts.error.retryAfter * 1000)
    this.attempts++
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined
      if (this.state !== State.Connecting) return
      this.events.emit('reconnect_attempt', this.attempts)
      if (this.state === State.Connecting && !this.attempt) void this.open()
    }, delay)
  }

  /** One connection attempt: a session if there is none, then the receive loop. */
  private async open(): Promise<void> {
    const attempt = new AbortController()
    this.attempt = attempt
    if (this.transports.length === 0) {
      const error = new SocketServeError('CONNECTION_FAILED', 'no usable transport in this runtime', { status: 0 })
      return this.leave(LeaveCode.ConnectRefused, { error })
    }
    let fresh = false
    if (!this.session) {
      // its own controller: the connect timeout aborts the request, not the attempt
      const controller = new AbortController()
      attempt.signal.addEventListener('abort', () => controller.abort(), { once: true })
      let session: Session
      try {
        session = await createSession(this.opts, this.routes, this.candidates()[this.next]?.name, controller)
      } catch (e) {
        if (attempt.signal.aborted) return
        const err = toSocketError(e)
        // Refused by auth or middleware: retrying cannot help, so stop (as Socket.IO does); connect() retries by hand.
        const refused = err.code === 'UNAUTHORIZED' || err.code === 'FORBIDDEN'
        return this.leave(refused ? LeaveCode.ConnectRefused : LeaveCode.ConnectFailed, { error: err })
      }
      // closed while the session was being made: end it rather than leave it to time out
      if (attempt.signal.aborted) return this.sendDisconnect(session, false)
      this.session = session
      fresh = true
      this.inbound.reset()
      if (this.next >= this.candidates().length) this.next = 0
    }
    void this.inbound.run(this.session, fresh, attempt.signal)
  }

  /** The first open frame of an attempt. */
  private opened(transport: ClientTransport): void {
    this.transport = transport
    const attempts = this.attempts
    this.attempts = 0
    this.setState(State.Connected)
    if (attempts > 0) this.events.emit('reconnect', attempts)
    if (this.state === State.Connected) this.events.emit('connect') // a reconnect listener may have disconnected
    this.outbox.flush()
  }

  /** A receive request failed for good. True: try the next transport at once. */
  private receiveFailed(err: SocketServeError): boolean {
    if (err.code === 'SESSION_NOT_FOUND' || err.code === 'UNAUTHORIZED') {
      this.leave(LeaveCode.SessionLost, { error: err })
    } else if (this.state === State.Connected) {
      this.leave(err instanceof PingTimeoutError ? LeaveCode.PingTimeout : LeaveCode.TransportClose)
    } else if (!this.transport && this.next + 1 < this.candidates().length) {
      // a transport that never opened falls through to the next at once
      this.next++
      return true
    } else {
      this.leave(LeaveCode.ConnectFailed, { error: err })
    }
    return false
  }

  /** The application's transports that the server also accepts, in the application's order. */
  private candidates(): ClientTransport[] {
    const allowed = this.session?.transports
    if (!allowed) return this.transports
    const list = this.transports.filter((t) => allowed.includes(t.name))
    return list.length > 0 ? list : this.transports
  }

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.opts.reconnectionDelay, this.opts.reconnectionDelayMax)
  }

  private setState(newState: State): void {
    const oldState = this.state
    if (oldState === newState) return
    this.state = newState
    this.events.state({ newState, oldState })
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
        hide: () => this.state !== State.Disconnected && this.leave(LeaveCode.PageHidden),
        show: () => this.state === State.Disconnected && this.code === LeaveCode.PageHidden && this.connect(),
      })
    } else if (!on && this.unwatchPage) {
      this.unwatchPage()
      this.unwatchPage = undefined
    }
  }
}

/** The public reason for a server ending that is not a kick: Socket.IO's string when the frame gave one. */
function publicReason(reason: string): DisconnectReason {
  const known = Object.values(DisconnectReason) as string[]
  return known.includes(reason) && reason !== DisconnectReason.ServerDisconnect ? (reason as DisconnectReason) : DisconnectReason.TransportClose
}
