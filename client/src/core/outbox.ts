import { devtoolsHook, report } from '../devtools/hook.js'
import { SocketServeError } from '../protocol/errors.js'
import { DEFAULT_MAX_BATCH, type MessageBatchReply } from '../protocol/wire.js'
import { AckSender } from './ack-sender.js'
import { utf8Length } from './byte-length.js'
import type { Routes } from './endpoint.js'
import { rethrowLater } from './emitter.js'
import { readJson, request } from './http.js'
import type { ResolvedOptions } from './options.js'
import { SendQueue, type AckHandler, type QueuedMessage } from './send-queue.js'
import { sessionHeaders, type Session } from './session.js'

/** What the outbox needs from the connection, and nothing more. */
export interface OutboxHost {
  /** connected: messages may leave */
  ready(): boolean
  /** the session to post to */
  session(): Session | undefined
  /** the server forgot the session (a POST got 404) */
  sessionLost(err: SocketServeError): void
  /** a message without an ack was refused or lost: the application hears of it */
  refused(err: SocketServeError, event: string): void
  retryDelay(attempt: number): number
}

/**
 * Everything the client sends: the ordered message channel (SendQueue) and
 * the replies to the server's emitWithAck (AckSender), over POST
 * {base}/message and {base}/ack of the current session.
 */
export class Outbox {
  private readonly queue: SendQueue
  private readonly acks: AckSender

  constructor(
    private readonly host: OutboxHost,
    private readonly opts: ResolvedOptions,
    private readonly routes: Routes,
    private readonly uid: number,
  ) {
    this.queue = new SendQueue({
      ready: () => host.ready(),
      send: (body, batch, signal) => this.post(body, batch, signal),
      retryDelay: (attempt) => host.retryDelay(attempt),
      sessionLost: (err) => host.sessionLost(err),
      refused: (err, event) => host.refused(err, event),
      maxBytes: () => host.session()?.maxPayload ?? 1_000_000,
      maxBatch: () => host.session()?.maxBatch ?? DEFAULT_MAX_BATCH,
    })
    this.acks = new AckSender({
      post: async (body) => {
        const res = await request(this.opts.fetch, this.routes.ack, { method: 'POST', headers: this.headers(), body })
        await res.body?.cancel().catch(() => {})
      },
      retryDelay: (attempt) => host.retryDelay(attempt),
    })
  }

  /** Queues one message; throws (to the emitter) when the payload cannot be serialized. */
  send(event: string, data: unknown, handler: AckHandler | undefined, timeout: number | undefined): void {
    const ack = handler && this.guardAck(event, handler, timeout)
    try {
      this.queue.push(event, data, ack)
    } catch (err) {
      ack?.cancel() // nothing was queued
      throw err
    }
  }

  /** Answers a server emitWithAck. */
  reply(id: string, data: unknown): void {
    this.acks.add(id, data)
  }

  /** The connection is ready: buffered emits (and those of 'connect' listeners) leave together. */
  flush(): void {
    this.queue.schedule()
  }

  /** The session is gone: see SendQueue.sessionLost; replies to it are meaningless. */
  sessionLost(): void {
    this.acks.clear()
    this.queue.sessionLost()
  }

  /** Drops everything; waiting acks get `err`. */
  clear(err: SocketServeError): void {
    this.acks.clear()
    this.queue.clear(err)
  }

  private headers(): Record<string, string> {
    const session = this.host.session()
    if (!session) throw new SocketServeError('DISCONNECTED', 'no session')
    return sessionHeaders(this.opts, session)
  }

  private async post(body: string, batch: readonly QueuedMessage[], signal: AbortSignal): Promise<Partial<MessageBatchReply>> {
    const headers = this.headers()
    const hook = devtoolsHook()
    if (hook) {
      // The encoded payload is already at hand, so the panel can show it at no extra cost.
      const messages = batch.map((m) => ({ id: m.id, event: m.event, ack: m.ack !== undefined, json: m.json }))
      report(hook, 'frame:out', { socket: this.uid, time: Date.now(), bytes: utf8Length(body), messages })
    }
    const res = await request(this.opts.fetch, this.routes.message, { method: 'POST', headers, body, signal })
    return (await readJson<Partial<MessageBatchReply> | null>(res)) ?? {}
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
}
