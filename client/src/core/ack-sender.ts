import type { SocketServeError } from '../protocol/errors.js'
import { isTransient, toSocketError } from './http.js'

export interface AckSenderHost {
  /** POST {base}/ack with this body for the current session; throws SocketServeError */
  post(body: string): Promise<void>
  retryDelay(attempt: number): number
}

/** A reply that cannot reach the server after this many tries is dropped (the server's emitWithAck times out). */
const MAX_ATTEMPTS = 8

/**
 * Replies to the server's emitWithAck. Acks given in the same tick share one
 * POST; a POST that failed on the network (or 429/503) is resent, since the
 * server waits for the reply. A refusal (e.g. the session is gone) drops it.
 */
export class AckSender {
  private pending: string[] = []
  private scheduled = false
  private generation = 0
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()

  constructor(private readonly host: AckSenderHost) {}

  /** Throws (to the caller of ack()) when the reply cannot be serialized. */
  add(id: string, data: unknown): void {
    const json = data === undefined ? '' : `,"data":${JSON.stringify(data)}`
    this.pending.push(`{"id":${JSON.stringify(id)}${json}}`)
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      const acks = this.pending
      this.pending = []
      if (acks.length > 0) void this.deliver(`{"acks":[${acks.join(',')}]}`, 0, this.generation)
    })
  }

  /** Forget everything (new session or disconnect): replies to an old session are meaningless. */
  clear(): void {
    this.generation++
    this.pending = []
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private async deliver(body: string, attempt: number, generation: number): Promise<void> {
    let err: SocketServeError
    try {
      await this.host.post(body)
      return
    } catch (e) {
      err = toSocketError(e)
    }
    if (generation !== this.generation || !isTransient(err) || attempt + 1 >= MAX_ATTEMPTS) return
    const delay = err.retryAfter !== undefined ? err.retryAfter * 1000 : this.host.retryDelay(attempt)
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (generation === this.generation) void this.deliver(body, attempt + 1, generation)
    }, delay)
    this.timers.add(timer)
  }
}
