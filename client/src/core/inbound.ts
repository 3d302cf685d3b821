import { devtoolsHook, report } from '../devtools/hook.js'
import { SocketServeError } from '../protocol/errors.js'
import { CLIENT_EVENTS, RESERVED_EVENTS } from '../protocol/names.js'
import { CURSOR_HEADER, SID_HEADER, TOKEN_HEADER, type ServerFrame } from '../protocol/wire.js'
import type { ClientTransport } from '../transports/index.js'
import { PingTimeoutError, readResponse } from '../transports/read-stream.js'
import type { SseEvent } from '../transports/sse-parser.js'
import { utf8Length } from './byte-length.js'
import { CursorTracker } from './cursor.js'
import type { Routes } from './endpoint.js'
import { toSocketError } from './http.js'
import type { ResolvedOptions } from './options.js'
import type { Session } from './session.js'

/** What the receive loop tells the connection, and asks of it. */
export interface InboundHost {
  connected(): boolean
  /** the transport to read with now */
  transport(): ClientTransport
  /** the first `open` frame of a connecting attempt: the connection is up */
  opened(transport: ClientTransport): void
  /** a receive request failed for good; true: try again at once (the next transport) */
  failed(err: SocketServeError): boolean
  /** a `disconnect` frame: the server ended the session */
  ended(reason: string): void
  /** an application event (with an ack function when the server awaits one), or 'gap' */
  emit(event: string, ...args: unknown[]): void
  /** the application answered a server emitWithAck */
  reply(id: string, data: unknown): void
}

/**
 * Everything the client receives: the receive loop (one SSE stream or poll
 * after another), frame parsing, the cursor that makes delivery exactly-once,
 * and `recovered`, which turns false whenever the server says entries were lost.
 */
export class Inbound {
  /** False once a reconnect or a resumed stream lost messages (or the session is new). */
  recovered = false
  private readonly cursor = new CursorTracker()

  constructor(
    private readonly host: InboundHost,
    private readonly opts: ResolvedOptions,
    private readonly routes: Routes,
    private readonly uid: number,
  ) {}

  /** A new session: positions in the old one's logs mean nothing. */
  reset(): void {
    this.cursor.clear()
  }

  /**
   * The receive loop of one connection attempt, until `signal` aborts or a
   * failure is handed to the host. `fresh`: the session was just made, so its
   * first open is not a recovery.
   */
  async run(session: Session, fresh: boolean, signal: AbortSignal): Promise<void> {
    let first = true
    let resumedSilently = false
    while (!signal.aborted) {
      const transport = this.host.transport()
      let outcome: 'end' | 'stopped' | SocketServeError
      try {
        outcome = await this.readOnce(transport, session, first, fresh, signal)
      } catch (err) {
        outcome = toSocketError(err)
      }
      if (signal.aborted || outcome === 'stopped') return
      first = false
      if (outcome === 'end') {
        // a planned cut (maxStreamDuration) or a delivered poll: not a disconnect
        resumedSilently = false
        continue
      }
      const err = outcome
      const sessionError = err.code === 'SESSION_NOT_FOUND' || err.code === 'UNAUTHORIZED'
      if (this.host.connected() && !sessionError && !(err instanceof PingTimeoutError) && !resumedSilently) {
        // one immediate, silent resume: a single dropped connection is not worth a disconnect
        resumedSilently = true
        continue
      }
      if (!this.host.failed(err)) return
      first = true
    }
  }

  private async readOnce(transport: ClientTransport, session: Session, first: boolean, fresh: boolean, signal: AbortSignal): Promise<'end' | 'stopped'> {
    const controller = new AbortController()
    const abort = () => controller.abort()
    signal.addEventListener('abort', abort, { once: true })
    let opened = false
    const headers: Record<string, string> = { ...this.opts.headers, [SID_HEADER]: session.sid, [TOKEN_HEADER]: session.token }
    const cursor = this.cursor.header()
    if (cursor) headers[CURSOR_HEADER] = cursor
    try {
      const result = await readResponse(transport, { fetch: this.opts.fetch, routes: this.routes, headers, first }, controller, {
        idleTimeout: session.pingInterval + session.pingTimeout,
        onEvent: (event) => {
          if (signal.aborted) return false
          if (this.onEvent(event, transport, session, fresh)) opened = true
          return !signal.aborted
        },
      })
      if (result === 'end' && !opened) {
        // guards against a hot loop on a proxy that answers 200 with something else
        throw new SocketServeError('CONNECTION_FAILED', `${transport.name} response ended without an open frame`, { status: 0 })
      }
      return result
    } finally {
      signal.removeEventListener('abort', abort)
    }
  }

  /** One frame; true when it was the `open` frame. */
  private onEvent(event: SseEvent, transport: ClientTransport, session: Session, fresh: boolean): boolean {
    let frame: ServerFrame
    try {
      frame = JSON.parse(event.data) as ServerFrame
    } catch {
      return false // not ours: ignore rather than kill the stream
    }
    if (frame === null || typeof frame !== 'object') return false
    const hook = devtoolsHook()
    if (hook) report(hook, 'frame:in', { socket: this.uid, time: Date.now(), bytes: utf8Length(event.data), id: event.id, transport: transport.name, frame })
    if ('c' in frame) {
      if (frame.c === 'open') {
        if (typeof frame.pingInterval === 'number' && frame.pingInterval > 0) session.pingInterval = frame.pingInterval
        this.onOpen(frame.recovered === true, fresh, transport)
        return true
      }
      if (frame.c === 'gap') this.gap(Array.isArray(frame.keys) ? frame.keys.filter((k) => typeof k === 'string') : [])
      else if (frame.c === 'disconnect') this.host.ended(typeof frame.reason === 'string' ? frame.reason : '')
      return false
    }
    if (typeof frame.e !== 'string' || RESERVED_EVENTS.has(frame.e) || CLIENT_EVENTS.has(frame.e)) return false
    if (!this.cursor.accept(event.id)) return false // already delivered (a replay overlap)
    this.dispatch(frame.e, frame.d, frame.a)
    return false
  }

  private onOpen(recovered: boolean, fresh: boolean, transport: ClientTransport): void {
    if (!this.host.connected()) {
      this.recovered = !fresh && recovered
      this.host.opened(transport)
      if (!fresh && !recovered && this.host.connected()) this.gap([])
    } else if (!recovered) {
      // a resumed stream or the next poll of a live connection: it lost entries too
      this.gap([])
    }
  }

  /** Entries were lost (`keys`: the logs, when the server said which). */
  private gap(keys: string[]): void {
    this.recovered = false
    this.host.emit('gap', { keys })
  }

  private dispatch(event: string, data: unknown, ackId: string | undefined): void {
    if (ackId === undefined) return this.host.emit(event, data)
    let answered = false
    const sentAt = Date.now()
    const ack = (reply?: unknown) => {
      if (answered) return
      answered = true
      this.host.reply(ackId, reply)
      const hook = devtoolsHook()
      if (hook) report(hook, 'ack', { socket: this.uid, direction: 'server', event, id: ackId, latency: Date.now() - sentAt })
    }
    this.host.emit(event, data, ack)
  }
}
