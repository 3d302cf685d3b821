import type { LogEntry, Subscription } from '../store/types.js'
import type { ServerCore } from '../core/server.js'
import type { Receiver } from './receiver.js'

interface Watch {
  receivers: Set<Receiver>
  subscription: Subscription
}

/**
 * The streams open on this instance. One store subscription per log key,
 * however many local streams read it: one notification from the store becomes
 * deliveries to every local stream of that key, with no further store reads.
 */
export class Hub {
  private watches = new Map<string, Watch>()
  private bySession = new Map<string, Set<Receiver>>()
  private heartbeat?: ReturnType<typeof setInterval>

  constructor(private readonly server: ServerCore<any, any, any>) {}

  add(r: Receiver): void {
    let set = this.bySession.get(r.sid)
    if (!set) this.bySession.set(r.sid, (set = new Set()))
    set.add(r)
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.beat(), this.server.opts.pingInterval)
      ;(this.heartbeat as { unref?: () => void }).unref?.()
    }
  }

  remove(r: Receiver): void {
    const set = this.bySession.get(r.sid)
    set?.delete(r)
    if (set?.size === 0) this.bySession.delete(r.sid)
    if (this.bySession.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
    }
  }

  /** Resolves once the key's store subscription is live, so a read after it misses nothing. */
  watch(key: string, r: Receiver): Promise<void> {
    let w = this.watches.get(key)
    if (!w) {
      const receivers = new Set<Receiver>()
      const subscription = this.server.store.subscribe(key, (entry: LogEntry | null) => {
        for (const each of receivers) each.onEntry(key, entry)
      })
      this.watches.set(key, (w = { receivers, subscription }))
    }
    w.receivers.add(r)
    return w.subscription.ready
  }

  unwatch(key: string, r: Receiver): void {
    const w = this.watches.get(key)
    if (!w) return
    w.receivers.delete(r)
    if (w.receivers.size === 0) {
      this.watches.delete(key)
      w.subscription.unsubscribe()
    }
  }

  hasStream(sid: string): boolean {
    return this.bySession.has(sid)
  }

  get streamCount(): number {
    let n = 0
    for (const set of this.bySession.values()) n += set.size
    return n
  }

  close(): void {
    for (const set of [...this.bySession.values()]) for (const r of [...set]) r.close()
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  /** Heartbeats keep proxies and idle timeouts open, and one touch keeps every local session alive. */
  private beat(): void {
    const sids = [...this.bySession.keys()]
    for (const set of this.bySession.values()) for (const r of set) r.heartbeat()
    if (sids.length === 0) return
    this.server.store.touch(sids, Date.now(), this.server.limits).catch((err) => {
      console.error('[socket-serve] heartbeat touch failed:', err)
    })
  }
}
