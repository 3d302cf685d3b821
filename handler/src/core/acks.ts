import { SocketServeError } from '@socket-serve/client/protocol'
import type { Store } from '../store/types.js'

interface Pending {
  sid: string
  event: string
  sentAt: number
  resolve: (data: unknown) => void
  reject: (err: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * Server -> client acks (socket.emitWithAck). The promise lives on the instance
 * that emitted; the client's ack POST may land on any instance, which forwards
 * it through the store's signal channel named after the emitting instance.
 */
export class PendingAcks {
  private seq = 0
  private pending = new Map<string, Pending>()
  /** pending acks per session, for limits.pendingAcksPerSession */
  private perSession = new Map<string, number>()
  private unlisten?: () => void

  constructor(
    /** this instance's id, read when first needed */
    private readonly instance: () => string,
    private readonly store: Store,
    /** told of every answered ack, for latency metrics */
    private readonly onAnswered: (sid: string, event: string, ms: number) => void = () => {},
    /** acks one session may have pending on this instance (Infinity: no bound) */
    private readonly maxPerSession = Infinity,
    /** told of every ack that timed out, for error metrics */
    private readonly onTimedOut: (sid: string, event: string, timeout: number) => void = () => {},
  ) {}

  /** Throws LIMIT_EXCEEDED when the session already awaits maxPerSession acks here: nothing is sent then. */
  create(sid: string, event: string, timeout: number): { id: string; promise: Promise<unknown> } {
    const count = this.perSession.get(sid) ?? 0
    if (count >= this.maxPerSession) {
      throw new SocketServeError('LIMIT_EXCEEDED', `a session may have at most ${this.maxPerSession} acks pending (limits.pendingAcksPerSession)`)
    }
    this.listen()
    const id = `${this.instance()}.${++this.seq}`
    this.perSession.set(sid, count + 1)
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(id)
        this.onTimedOut(sid, event, timeout)
        reject(new SocketServeError('ACK_TIMEOUT', `no ack within ${timeout} ms`))
      }, timeout)
      this.pending.set(id, { sid, event, sentAt: performance.now(), resolve, reject, timer })
    })
    return { id, promise }
  }

  /** Abandons an ack whose emit never reached the store. */
  cancel(id: string, err: Error): void {
    const p = this.pending.get(id)
    if (!p) return
    this.forget(id)
    clearTimeout(p.timer)
    p.reject(err)
  }

  /** An ack arrived from session `sid` on this instance's HTTP endpoint. */
  async deliver(sid: string, id: string, data: unknown): Promise<void> {
    const dot = id.lastIndexOf('.')
    const owner = dot > 0 ? id.slice(0, dot) : ''
    if (owner === this.instance()) this.settle(sid, id, data)
    else if (owner) await this.store.signal(`ack:${owner}`, JSON.stringify({ sid, id, data }))
  }

  close(): void {
    this.unlisten?.()
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new SocketServeError('DISCONNECTED', 'server closed'))
      this.pending.delete(id)
    }
    this.perSession.clear()
  }

  /** Takes a pending ack out, with its session's count. */
  private forget(id: string): void {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    const n = (this.perSession.get(p.sid) ?? 1) - 1
    if (n > 0) this.perSession.set(p.sid, n)
    else this.perSession.delete(p.sid)
  }

  private settle(sid: string, id: string, data: unknown): void {
    const p = this.pending.get(id)
    // Only the session the emit went to may answer it.
    if (!p || p.sid !== sid) return
    this.forget(id)
    clearTimeout(p.timer)
    this.onAnswered(sid, p.event, performance.now() - p.sentAt)
    p.resolve(data)
  }

  private listen(): void {
    if (this.unlisten) return
    this.unlisten = this.store.onSignal(`ack:${this.instance()}`, (message) => {
      try {
        const { sid, id, data } = JSON.parse(message) as { sid: string; id: string; data: unknown }
        this.settle(sid, id, data)
      } catch {
        // a malformed signal cannot come from our own code; ignore it
      }
    })
  }
}
