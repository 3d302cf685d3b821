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
  /**
   * POSTs that may be in flight at once (the server's maxInFlight). Above 1, each POST says
   * which messages were answered so far, and the server starts handlers in emit order however
   * the POSTs arrive; at 1, the next POST leaves only once the previous one was answered.
   */
  maxInFlight(): number
}

/** One POST: its messages (ids fixed for every retry), and where its sending stands. */
interface Flight {
  batch: QueuedMessage[]
  attempt: number
  controller: AbortController | undefined
  retryTimer: ReturnType<typeof setTimeout> | undefined
  /** the server said these did not run (deferred): they may go to a new session */
  unsent: boolean
}

const BODY_OVERHEAD = '{"messages":[]}'.length

/**
 * The client's one ordered channel to the server. Emits of the same tick
 * coalesce into one POST. Up to maxInFlight POSTs travel at once (the server
 * starts their handlers in emit order, so a slow handler holds back no later
 * message); with one, emits made meanwhile travel together in the next. A batch
 * that failed transiently is resent unchanged (same ids: the server runs each
 * id once and answers the retry with the same acks); it is never dropped.
 */
export class SendQueue {
  private pending: QueuedMessage[] = []
  /** posted (or waiting to be posted again), in id order */
  private flights: Flight[] = []
  private nextId = 1
  private scheduled = false
  /** bumped to orphan in-flight POSTs whose outcome no longer matters */
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
    return this.flights.reduce((n, f) => n + f.batch.length, 0) + this.pending.length
  }

  flush(): void {
    if (!this.host.ready()) return
    for (const f of this.flights) if (!f.controller && f.retryTimer === undefined) void this.post(f)
    // A flight waiting to be resent (rate limit, outage) holds back new ones: they would only wait too.
    if (this.flights.some((f) => f.retryTimer !== undefined)) return
    while (this.pending.length > 0 && this.flights.length < Math.max(1, this.host.maxInFlight())) {
      const f: Flight = { batch: this.takeBatch(), attempt: 0, controller: undefined, retryTimer: undefined, unsent: false }
      this.flights.push(f)
      void this.post(f)
    }
  }

  /**
   * The session is gone beyond recovery. A batch posted to it may have run or
   * not: sending it again could run a handler twice, so its messages fail with
   * SESSION_LOST (acks get the error, the others go to `refused`). Messages
   * never posted, or that the server said did not run, go to the next session;
   * ids restart from 1.
   */
  sessionLost(): void {
    this.stop()
    const flights = this.flights
    this.flights = []
    this.nextId = 1
    const err = new SocketServeError('SESSION_LOST', 'the session ended while this message was on its way; it may not have run')
    const again: QueuedMessage[] = []
    for (const f of flights) {
      if (f.unsent) again.push(...f.batch)
      else this.fail(f.batch, err)
    }
    for (const m of again) m.id = 0
    this.pending.unshift(...again)
  }

  /** Drops everything; every waiting ack gets `err`. */
  clear(err: SocketServeError): void {
    this.stop()
    const dropped = [...this.flights.flatMap((f) => f.batch), ...this.pending]
    this.flights = []
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
    for (const f of this.flights) {
      f.controller?.abort()
      f.controller = undefined
      clearTimeout(f.retryTimer)
      f.retryTimer = undefined
      f.attempt = 0
    }
  }

  /** Takes the oldest pending messages that fit in one body and in maxBatch (always at least one). */
  private takeBatch(): QueuedMessage[] {
    const max = this.host.maxBytes()
    const count = Math.min(this.pending.length, Math.max(1, this.host.maxBatch()))
    let bytes = BODY_OVERHEAD
    let n = 0
    for (; n < count; n++) {
      const m = this.pending[n]!
      const size = utf8Length(encodeMessage(this.nextId, m)) + 1
      if (n > 0 && bytes + size > max) break
      m.id = this.nextId++
      bytes += size
    }
    return this.pending.splice(0, n)
  }

  /** Every message up to this id was answered: the ids below the oldest flight. */
  private answered(): number {
    return (this.flights[0]?.batch[0]?.id ?? this.nextId) - 1
  }

  private body(f: Flight): string {
    const messages = f.batch.map((m) => encodeMessage(m.id, m)).join(',')
    return this.host.maxInFlight() > 1 ? `{"answered":${this.answered()},"messages":[${messages}]}` : `{"messages":[${messages}]}`
  }

  /** Waits `ms`, then posts the flight again. */
  private retryIn(f: Flight, ms: number): void {
    f.retryTimer = setTimeout(() => {
      f.retryTimer = undefined
      this.flush()
    }, ms)
  }

  private done(f: Flight): void {
    this.flights = this.flights.filter((x) => x !== f)
  }

  private async post(f: Flight): Promise<void> {
    const batch = f.batch
    f.unsent = false // posted: from now on its outcome is unknown until answered
    const generation = this.generation
    const controller = new AbortController()
    f.controller = controller
    let reply: Partial<MessageBatchReply>
    try {
      reply = await this.host.send(this.body(f), batch, controller.signal)
    } catch (e) {
      if (generation !== this.generation) return
      f.controller = undefined
      const err = toSocketError(e)
      if (err.code === 'SESSION_NOT_FOUND') return this.host.sessionLost(err)
      if (isTransient(err)) {
        const delay = err.retryAfter !== undefined ? err.retryAfter * 1000 : this.host.retryDelay(f.attempt)
        f.attempt++
        return this.retryIn(f, delay)
      }
      // refused (400, 401, 403, 413, ...): resending would be refused again
      this.done(f)
      this.fail(batch, err)
      return this.flush()
    }
    if (generation !== this.generation) return
    f.controller = undefined
    f.attempt = 0
    const acks = Array.isArray(reply.acks) ? reply.acks : []
    const from = reply.deferred?.from
    const rest = typeof from === 'number' ? batch.filter((m) => m.id >= from) : []
    if (rest.length > 0) {
      // The server ran only the first part (rate limit): the rest goes again, same ids, first in line.
      routeAcks(batch.slice(0, batch.length - rest.length), acks)
      f.batch = rest
      f.unsent = true
      const wait = Number(reply.deferred?.retryAfter)
      return this.retryIn(f, Number.isFinite(wait) && wait > 0 ? wait * 1000 : this.host.retryDelay(0))
    }
    this.done(f)
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
