import type { LogEntry, Subscription } from '../store/types.js'
import type { DeliveryContext } from './context.js'
import type { Receiver } from './receiver.js'

interface Watch {
  receivers: Set<Receiver>
  subscription: Subscription
  /** newest seq notified since the subscription went live, when no notification can have been missed */
  last?: number
  /** the log's epoch that `last` is in */
  epoch?: string
  /** pending unsubscribe after the last receiver left */
  idle?: ReturnType<typeof setTimeout>
  /** bumped when notifications may have been lost, so reads begun before it teach nothing */
  generation: number
}

/** A subscription outlives its last stream this long: a poller comes back within it. */
const IDLE_UNSUBSCRIBE_MS = 15_000

/**
 * The streams open on this instance. One store subscription per log key,
 * however many local streams read it: one notification from the store becomes
 * deliveries to every local stream of that key, with no further store reads.
 */
export class Hub {
  private watches = new Map<string, Watch>()
  private bySession = new Map<string, Set<Receiver>>()
  private heartbeat?: ReturnType<typeof setInterval>
  /** when each local session's record and direct log last had their TTL refreshed (a full touch) */
  private touchedAt = new Map<string, number>()
  /**
   * when this instance last put each session in the live index (its heartbeats, or the touch of
   * the request that opened its stream): kept a while after its stream closed, so a poll that
   * follows need not touch again
   */
  private aliveAt = new Map<string, number>()
  /** streams indexed here, counted as they come and go (an observer is told on every open and close) */
  private open = 0

  /**
   * `parent`: this is one request's hub on a runtime that isolates requests (requestsIsolated());
   * it owns that request's subscriptions and heartbeat, and tells the parent of its streams, so
   * that the instance still knows which sessions have a stream here.
   */
  constructor(
    private readonly ctx: DeliveryContext,
    private readonly parent?: Hub,
  ) {}

  /**
   * The hub a new stream joins: this one, or where requests may share no I/O (Workers) a hub of
   * the stream's own request, so that no subscription, timer or write crosses requests.
   */
  forRequest(): Hub {
    return this.ctx.isolateRequests && !this.parent ? new Hub(this.ctx, this) : this
  }

  add(r: Receiver): void {
    // A session keeps at most streamsPerSession streams here: the oldest make way (a client
    // reopening its stream is the usual case; a flood of streams on one session the other).
    // (A request's own hub asks its parent, which knows every stream of this instance.)
    const open = (this.parent ?? this).bySession.get(r.sid)
    if (open && open.size >= this.ctx.streamsPerSession) {
      for (const old of [...open].slice(0, open.size - this.ctx.streamsPerSession + 1)) old.replaced()
    }
    this.parent?.index(r)
    this.index(r)
    this.ctx.observer.streams?.((this.parent ?? this).open)
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.beat(), this.ctx.pingInterval)
      ;(this.heartbeat as { unref?: () => void }).unref?.()
    }
  }

  remove(r: Receiver): void {
    this.parent?.unindex(r)
    this.unindex(r)
    this.ctx.observer.streams?.((this.parent ?? this).open)
    if (this.bySession.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
      const now = Date.now()
      for (const [sid, at] of this.aliveAt) if (now - at > this.ctx.pingInterval) this.aliveAt.delete(sid)
    }
  }

  private index(r: Receiver): void {
    let set = this.bySession.get(r.sid)
    if (!set) this.bySession.set(r.sid, (set = new Set()))
    const had = set.size
    set.add(r)
    this.open += set.size - had
    if (!this.touchedAt.has(r.sid)) this.touchedAt.set(r.sid, r.touchedAt)
  }

  private unindex(r: Receiver): void {
    const set = this.bySession.get(r.sid)
    if (set?.delete(r)) this.open--
    if (set?.size === 0) {
      this.bySession.delete(r.sid)
      this.touchedAt.delete(r.sid)
    }
  }

  /**
   * When this instance last refreshed the session in the live index, if it did lately: a poll
   * arriving here within disconnectTimeout / 4 of it need not touch the store again.
   */
  keptAlive(sid: string): number | undefined {
    return this.aliveAt.get(sid)
  }

  /** The session was put in the live index now (by the request that opened its stream). */
  noteAlive(sid: string, at: number): void {
    this.aliveAt.set(sid, at)
  }

  /** Resolves once the key's store subscription is live, so a read after it misses nothing. */
  watch(key: string, r: Receiver): Promise<void> {
    let w = this.watches.get(key)
    if (!w) {
      const receivers = new Set<Receiver>()
      const watch: Watch = {
        receivers,
        generation: 0,
        subscription: this.ctx.bus.subscribe(key, (entry: LogEntry | null) => {
          // null: notifications may have been lost, so the newest seq is unknown again.
          if (entry === null) {
            watch.last = undefined
            watch.generation++
          }
          // A new epoch: the log was lost and started again, reads begun before it teach nothing.
          else if (entry.epoch !== undefined && entry.epoch !== watch.epoch) {
            if (watch.epoch !== undefined) watch.generation++
            watch.epoch = entry.epoch
            watch.last = entry.seq
          }
          // Any notification proves the subscription is live: every later entry will be notified too.
          else watch.last = Math.max(watch.last ?? 0, entry.seq)
          for (const each of receivers) each.onEntry(key, entry)
        }),
      }
      this.watches.set(key, (w = watch))
      w.subscription.ready.catch(() => this.drop(key, watch))
    }
    clearTimeout(w.idle)
    w.idle = undefined
    w.receivers.add(r)
    return w.subscription.ready
  }

  unwatch(key: string, r: Receiver): void {
    const w = this.watches.get(key)
    if (!w) return
    w.receivers.delete(r)
    // A request's own hub ends with its one stream: nothing comes back to reuse the subscription.
    if (w.receivers.size === 0 && this.parent) this.drop(key, w)
    else if (w.receivers.size === 0 && !w.idle) {
      w.idle = setTimeout(() => this.drop(key, w), IDLE_UNSUBSCRIBE_MS)
      ;(w.idle as { unref?: () => void }).unref?.()
    }
  }

  /**
   * The newest seq of a log this instance was notified of, if it cannot have
   * missed one since: a stream whose cursor is there has nothing to read.
   */
  lastSeq(key: string): { seq: number; epoch?: string } | undefined {
    const w = this.watches.get(key)
    return w?.last === undefined ? undefined : { seq: w.last, epoch: w.epoch }
  }

  /** Where a log's notifications stand now: pass it back to noteHead after a read. */
  generation(key: string): number {
    return this.watches.get(key)?.generation ?? -1
  }

  /**
   * A read made while the subscription was live saw the log's head: later
   * entries will all be notified, so streams at that head need not read again.
   */
  noteHead(key: string, head: number, epoch: string, generation: number): void {
    const w = this.watches.get(key)
    if (!w || w.generation !== generation) return
    if (w.epoch === epoch) w.last = Math.max(w.last ?? 0, head)
    else {
      w.epoch = epoch
      w.last = head
    }
  }

  private drop(key: string, w: Watch): void {
    clearTimeout(w.idle)
    if (this.watches.get(key) !== w || w.receivers.size > 0) return
    this.watches.delete(key)
    w.subscription.unsubscribe()
  }

  /**
   * The local fast path: an entry this instance appended goes to the local streams reading its
   * log now, before the store's notification. The store returned its seq and epoch, so it is that
   * log's entry at that place: each stream takes it only if it is the very next entry of its own
   * cursor, in the same epoch (Receiver.onEntry), and skips the notification when it comes, so
   * order and exactly-once stay the store's. It does not move `last`: it proves nothing about the
   * subscription. Skipped when the notification came first (the memory store notifies within the
   * append). Where requests are isolated, a request's hub owns its streams: nothing crosses to them.
   */
  appended(key: string, entry: LogEntry & { epoch: string }): void {
    if (this.ctx.isolateRequests) return
    const w = this.watches.get(key)
    if (!w || w.receivers.size === 0) return
    if (w.epoch === entry.epoch && w.last !== undefined && w.last >= entry.seq) return
    for (const each of w.receivers) each.onEntry(key, entry)
  }

  hasStream(sid: string): boolean {
    return this.bySession.has(sid)
  }

  get streamCount(): number {
    return this.open
  }

  close(): void {
    for (const set of [...this.bySession.values()]) for (const r of [...set]) r.close()
    for (const [key, w] of [...this.watches]) this.drop(key, w)
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = undefined
  }

  /**
   * Heartbeats keep proxies and idle timeouts open, and one store call keeps every local session
   * in the live index (what the sweep reads): the cost of idle streams is one command per
   * pingInterval per instance, not per stream. A session's record and direct log get their TTL
   * refreshed (a full touch) only once a quarter of the TTL has passed.
   */
  private beat(): void {
    const sids = [...this.bySession.keys()]
    for (const set of this.bySession.values()) for (const r of set) r.heartbeat()
    this.ctx.observer.streams?.((this.parent ?? this).open)
    const now = Date.now()
    // Sessions whose streams all closed are forgotten after a heartbeat (bounded by the live ones).
    for (const [sid, at] of this.aliveAt) if (!this.bySession.has(sid) && now - at > this.ctx.pingInterval) this.aliveAt.delete(sid)
    if (sids.length === 0) return
    const due = sids.filter((sid) => now - (this.touchedAt.get(sid) ?? 0) > (this.ctx.limits.ttl * 1000) / 4)
    const dueSet = new Set(due)
    const rest = sids.filter((sid) => !dueSet.has(sid))
    for (const sid of due) this.touchedAt.set(sid, now)
    // Runs within the streams' lifetime. Sessions not in the live index get a full touch, which
    // says which were ended: a session another instance ended meanwhile (a lost touch made it
    // look idle) still has its client here, so it is revived. A sweep runs here too, within the
    // streams' lifetime, but only when the keep-alive says it would find work.
    const kept = rest.length
      ? this.ctx.keepAlive(rest).then(({ missing, sweepDue }) => {
          const gone = new Set(missing)
          for (const sid of rest) if (!gone.has(sid)) this.aliveAt.set(sid, now)
          if (sweepDue) void this.ctx.sweepIfDue()
          return missing.length ? this.ctx.touch(missing) : []
        })
      : (void this.ctx.sweepIfDue(), [])
    Promise.all([due.length ? this.ctx.touch(due) : [], kept])
      .then(([a, b]) => [...a, ...b])
      .then((ended) => (ended.length ? this.ctx.revive(ended) : undefined))
      .catch((err) => console.error('[socket-serve] heartbeat touch failed:', err))
  }
}
