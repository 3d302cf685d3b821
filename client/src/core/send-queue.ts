import { isErrorCode, SocketServeError } from '../protocol/errors.js'
import type { AckResult, MessageBatchReply } from '../protocol/wire.js'
import { utf8Length } from './byte-length.js'
import { isTransient, toSocketError } from './http.js'

/** Called once per acked message: with the error, or with undefined and the reply. */
export type AckHandler = (err: SocketServeError | undefined, data?: unknown) => void

export interface QueuedMessage {
  readonly event: string
  /** the payload, serialized when emitted (so a bad payload throws at the emit, not later) */
  readonly json: string | undefined
  readonly ack: AckHandler | undefined
  /** 0 until the message joins a batch; fixed for every retry of that batch */
  id: number
}

export interface SendQueueHost {
  /** a session exists and the socket is connected */
  ready(): boolean
  /** POST the batch; resolves with the server's reply, throws SocketServeError */
  send(body: string, batch: readonly QueuedMessage[], signal: AbortSignal): Promise<Partial<MessageBatchReply>>
  /** pause before resending a batch that failed transiently (Retry-After wins when given) */
  retryDelay(attempt: number): number
  /** the server forgot the session: the host makes a new one and calls sessionLost() */
  sessionLost(err: SocketServeError): void
  /** a message without an ack was refused or lost: the application hears of it here */
  refused(err: SocketServeError, event: string): void
  /** bytes one POST body may hold (the server's maxPayload) */
  maxBytes(): number
  /** messages one POST may hold (the server's maxBatch) */
  maxBatch(): number
}

const BODY_OVERHEAD = '{"messages":[]}'.length

/**
 * The client's one ordered channel to the server. Emits of the same tick
 * coalesce into one POST; one POST is in flight at a time and emits made
 * meanwhile travel together in the next, so handlers see emit order. A batch
 * that failed transiently is resent unchanged (same ids: the server runs each
 * id once and answers the retry with the same acks); it is never dropped.
 */
export class SendQueue {
  private pending: QueuedMessage[] = []
  /** the batch posted (or waiting to be resent); its ids are fixed */
  private batch: QueuedMessage[] | undefined
  /** the server said the batch did not run (deferred): it may go to a new session */
  private batchUnsent = false
  private body = ''
  private inflight: AbortController | undefined
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private attempt = 0
  private nextId = 1
  private scheduled = false
  /** bumped to orphan an in-flight POST whose outcome no longer matters */
  private generation = 0

  constructor(private readonly host: SendQueueHost) {}

  /** Queues one message; throws (synchronously, to the emitter) when the payload cannot be serialized. */
  push(event: string, data: unknown, ack?: AckHandler): void {
    const json = data === undefined ? undefined : JSON.stringify(data)
    this.pending.push({ event, json, ack, id: 0 })
    this.schedule()
  }

  /** Flush at the end of the current tick, so everything emitted in it shares one POST. */
  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.flush()
    })
  }

  /** Messages not yet answered, in order (buffered, in flight, awaiting retry). */
  get size(): number {
    return (this.batch?.length ?? 0) + this.pending.length
  }

  flush(): void {
    if (this.inflight || this.retryTimer !== undefined || !this.host.ready()) return
    if (!this.batch) {
      if (this.pending.length === 0) return
      this.takeBatch()
    }
    void this.post()
  }

  /**
   * The session is gone beyond recovery. The batch posted to it may have run
   * or not: sending it again could run a handler twice, so its messages fail
   * with SESSION_LOST (acks get the error, the others go to `refused`).
   * Messages never posted go to the next session; ids restart from 1.
   */
  sessionLost(): void {
    this.stop()
    const batch = this.batch ?? []
    this.batch = undefined
    this.nextId = 1
    if (this.batchUnsent) {
      for (const m of batch) m.id = 0
      this.pending.unshift(...batch)
      return
    }
    const err = new SocketServeError('SESSION_LOST', 'the session ended while this message was on its way; it may not have run')
    this.fail(batch, err)
  }

  /** Drops everything; every waiting ack gets `err`. */
  clear(err: SocketServeError): void {
    this.stop()
    const dropped = [...(this.batch ?? []), ...this.pending]
    this.batch = undefined
    this.pending = []
    for (const m of dropped) m.ack?.(err)
  }

  private fail(batch: readonly QueuedMessage[], err: SocketServeError): void {
    for (const m of batch) {
      if (m.ack) m.ack(err)
      else this.host.refused(err, m.event)
    }
  }

  private stop(): void {
    this.generation++
    this.inflight?.abort()
    this.inflight = undefined
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.attempt = 0
  }

  /** Takes the oldest pending messages that fit in one body and in maxBatch (always at least one). */
  private takeBatch(): void {
    const max = this.host.maxBytes()
    const count = Math.min(this.pending.length, Math.max(1, this.host.maxBatch()))
    const parts: string[] = []
    let bytes = BODY_OVERHEAD
    let n = 0
    for (; n < count; n++) {
      const m = this.pending[n]
      const json = encodeMessage(this.nextId, m)
      const size = utf8Length(json) + 1
      if (n > 0 && bytes + size > max) break
      m.id = this.nextId++
      parts.push(json)
      bytes += size
    }
    this.batch = this.pending.splice(0, n)
    this.body = `{"messages":[${parts.join(',')}]}`
  }

  /** Waits `ms`, then posts the current batch again. */
  private retryIn(ms: number): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.flush()
    }, ms)
  }

  private async post(): Promise<void> {
    const batch = this.batch as QueuedMessage[]
    this.batchUnsent = false // posted: from now on its outcome is unknown until answered
    const generation = this.generation
    const controller = new AbortController()
    this.inflight = controller
    let reply: Partial<MessageBatchReply>
    try {
      reply = await this.host.send(this.body, batch, controller.signal)
    } catch (e) {
      if (generation !== this.generation) return
      this.inflight = undefined
      const err = toSocketError(e)
      if (err.code === 'SESSION_NOT_FOUND') return this.host.sessionLost(err)
      if (isTransient(err)) {
        const delay = err.retryAfter !== undefined ? err.retryAfter * 1000 : this.host.retryDelay(this.attempt)
        this.attempt++
        return this.retryIn(delay)
      }
      // refused (400, 401, 403, 413, ...): resending would be refused again
      this.batch = undefined
      this.attempt = 0
      this.fail(batch, err)
      return this.flush()
    }
    if (generation !== this.generation) return
    this.inflight = undefined
    this.attempt = 0
    const acks = Array.isArray(reply.acks) ? reply.acks : []
    const from = reply.deferred?.from
    const rest = typeof from === 'number' ? batch.filter((m) => m.id >= from) : []
    if (rest.length > 0) {
      // The server ran only the first part (rate limit): the rest goes again, same ids, first in line.
      routeAcks(batch.slice(0, batch.length - rest.length), acks)
      this.batch = rest
      this.batchUnsent = true
      this.body = `{"messages":[${rest.map((m) => encodeMessage(m.id, m)).join(',')}]}`
      const wait = Number(reply.deferred?.retryAfter)
      return this.retryIn(Number.isFinite(wait) && wait > 0 ? wait * 1000 : this.host.retryDelay(0))
    }
    this.batch = undefined
    routeAcks(batch, acks)
    this.flush()
  }
}

/** `{"id":1,"event":"chat","data":...,"ack":true}`, built from the pre-serialized payload. */
function encodeMessage(id: number, m: QueuedMessage): string {
  const data = m.json === undefined ? '' : `,"data":${m.json}`
  return `{"id":${id},"event":${JSON.stringify(m.event)}${data}${m.ack ? ',"ack":true' : ''}}`
}

/** Hands each AckResult to the message with its id. */
export function routeAcks(batch: readonly QueuedMessage[], acks: readonly AckResult[]): void {
  const byId = new Map<number, AckResult>()
  for (const a of acks) if (a && typeof a.id === 'number') byId.set(a.id, a)
  for (const m of batch) {
    if (!m.ack) continue
    const result = byId.get(m.id)
    if (!result) m.ack(new SocketServeError('INTERNAL', `the server sent no ack for message ${m.id}`, { status: 0 }))
    else if (result.error) m.ack(ackError(result.error))
    else m.ack(undefined, result.data)
  }
}

function ackError(error: { code: string; message: string }): SocketServeError {
  const code = isErrorCode(error.code) ? error.code : 'HANDLER_ERROR'
  return new SocketServeError(code, String(error.message ?? code))
}
