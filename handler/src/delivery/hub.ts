import { isControlEntry, parseControlEntry } from '../store/entries.js'
import { setJoin, unsetJoin } from '../store/epochs.js'
import type { LogEntry, SessionRecord, Subscription } from '../store/types.js'
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
  /** the store subscription is live: every later append to the log will be notified */
  live: boolean
  /**
   * A direct log's watch only: its session's record as a request here last read it. Every change a
   * stream depends on (a join, a leave, a final ending) is written to the record and then appended
   * to this log, so the record holds while no such entry, lost notification or new epoch was seen.
   */
  session?: SessionRecord
  /** bumped whenever `session` stops holding, so a record read begun before teaches nothing */
  sessionChanges: number
  /**
   * The latest entries notified, consecutive and in `epoch`, the last one at `last` when it is
   * known: a poll a few entries behind (it came back while more were appended) takes them from
   * here instead of reading the log. Bounded by RECENT_ENTRIES and RECENT_BYTES.
   */
  recent: LogEntry[]
  recentBytes: number
}

/** Where a request stood before it read a session's record: pass it back to rememberSession. */
export interface SessionStamp {
  watch: Watch
  changes: number
}

/** A subscription outlives its last stream this long: a poller comes back within it. */
const IDLE_UNSUBSCRIBE_MS = 15_000
/** Entries (and their bytes, about) each watched log keeps for polls that come back behind. */
const RECENT_ENTRIES = 64
const RECENT_BYTES = 256 * 1024

/**
 * The least time kept between a keep-alive's refresh and disconnectTimeout running out: room for a
 * late timer, the store's round trip and clock skew between instances (whose sweeps compare their
 * own clock with the entry).
 */
export const KEEP_ALIVE_MARGIN_MS = 5_000

/**
 * ms between refreshes of a session's live-index entry while it has a stream here: once per
 * heartbeat (25 s at the defaults: 2.4 store calls a minute per instance, however many streams), and
 * always before disconnectTimeout runs out, even when it is shorter than pingInterval (a third of
 * it kept as the margin when it is below 15 s), or another instance's sweep would end a live session.
 * Once per heartbeat, not as seldom as disconnectTimeout allows: the entry is only as fresh as the
 * last refresh, so a client that goes quiet after a request (a network change, a reconnection's
 * backoff, a cold start) has disconnectTimeout less the time since then to come back: at least
 * disconnectTimeout - pingInterval (20 s at the defaults, as Socket.IO's pingTimeout). Refreshing as
 * seldom as disconnectTimeout allowed (every 40 s) left such a client 5 s.
 */
export function keepAliveInterval(pingInterval: number, disconnectTimeout: number): number {
  return Math.min(pingInterval, disconnectTimeout - Math.min(KEEP_ALIVE_MARGIN_MS, disconnectTimeout / 3))
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
  /** the next refresh of the live index, armed while streams are open here, and when it fires */
  private keepAliveTimer?: ReturnType<typeof setTimeout>
  private keepAliveAt = Infinity
  private readonly keepAliveEvery: number
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
  ) {
    this.keepAliveEvery = keepAliveInterval(ctx.pingInterval, ctx.disconnectTimeout)
  }

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
    this.scheduleKeepAlive(this.keepAliveDue(r.sid))
  }

  remove(r: Receiver): void {
    this.parent?.unindex(r)
    this.unindex(r)
    this.ctx.observer.streams?.((this.parent ?? this).open)
    if (this.bySession.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat)
      this.heartbeat = undefined
      this.stopKeepAlive()
      this.forgetStale(Date.now())
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
   * A stream opening now for a session last seen (live-indexed) at `seen` must refresh it itself:
   * the refresh is due, so this instance's keep-alive cannot be counted on to come first.
   */
  keepAliveDueSoon(sid: string, seen: number, now: number): boolean {
    return now - Math.max(seen, this.aliveAt.get(sid) ?? 0) >= this.keepAliveEvery
  }

  /**
   * Refreshes one session's live-index entry now (one store call), for a request that found it
   * due: as the keep-alive does, a session found ended meanwhile gets a full touch and is revived,
   * and a sweep runs when the keep-alive says one would find work (stream requests sweep only then).
   */
  async keepAliveNow(sid: string): Promise<void> {
    // Noted at once: the stream this request opens must not schedule a second refresh meanwhile.
    this.noteAlive(sid, Date.now())
    const { missing, sweepDue } = await this.ctx.keepAlive([sid])
    if (missing.length) {
      this.forgetSession(sid)
      const ended = await this.ctx.touch(missing)
      if (ended.length) await this.ctx.revive(ended).catch((err) => console.error('[socket-serve] revive failed:', err))
    }
    if (sweepDue) await this.ctx.sweepIfDue()
  }

  /** The session was put in the live index now (by a keep-alive or a touch of this instance). */
  private noteAlive(sid: string, at: number): void {
    this.aliveAt.set(sid, at)
  }

  /** A request here gave the session a full touch (its record's lastSeen, and its transport). */
  noteTouched(sid: string, at: number, transport?: string): void {
    this.noteAlive(sid, at)
    const w = this.watches.get(directKey(sid))
    if (w?.session) w.session = { ...w.session, lastSeen: at, transport: transport ?? w.session.transport }
  }

  /**
   * The session's record as a request here read it, if nothing can have changed what a stream
   * needs of it since (see Watch.session): a warm poll costs no store read of its session.
   */
  knownSession(sid: string): SessionRecord | undefined {
    const w = this.watches.get(directKey(sid))
    return w?.live ? w.session : undefined
  }

  /**
   * Taken before a request reads a session's record: only while the session's direct log is
   * watched live (every later join, leave or ending will be seen) can that record be kept.
   */
  sessionStamp(sid: string): SessionStamp | undefined {
    const w = this.watches.get(directKey(sid))
    return w?.live ? { watch: w, changes: w.sessionChanges } : undefined
  }

  /** Keeps a record read after `stamp` was taken, unless something changed it meanwhile. */
  rememberSession(record: SessionRecord, stamp: SessionStamp): void {
    const w = stamp.watch
    if (record.ended !== undefined || this.watches.get(directKey(record.sid)) !== w || w.sessionChanges !== stamp.changes) return
    w.session = record
  }

  /** The session's record may have changed unseen (found ended, or its log lost): read it again. */
  forgetSession(sid: string): void {
    const w = this.watches.get(directKey(sid))
    if (w) forgetRecord(w)
  }

  /** Resolves once the key's store subscription is live, so a read after it misses nothing. */
  watch(key: string, r: Receiver): Promise<void> {
    let w = this.watches.get(key)
    if (!w) {
      const receivers = new Set<Receiver>()
      const watch: Watch = {
        receivers,
        generation: 0,
        live: false,
        sessionChanges: 0,
        recent: [],
        recentBytes: 0,
        subscription: this.ctx.bus.subscribe(key, (entry: LogEntry | null) => {
          // null: notifications may have been lost, so the newest seq is unknown again.
          if (entry === null) {
            watch.last = undefined
            watch.generation++
            forgetRecord(watch)
          }
          // A new epoch: the log was lost and started again, reads begun before it teach nothing.
          // (The first epoch this watch learns, or a log created where a read found none, is no loss.)
          else if (entry.epoch !== undefined && entry.epoch !== watch.epoch) {
            if (watch.epoch !== undefined) watch.generation++
            if (watch.epoch) forgetRecord(watch)
            watch.epoch = entry.epoch
            watch.last = entry.seq
          }
          // Any notification proves the subscription is live: every later entry will be notified too.
          else watch.last = Math.max(watch.last ?? 0, entry.seq)
          // A join, leave or ending: the session's record changed before it was appended.
          if (entry !== null && isControlEntry(entry.data)) followRecord(watch, entry.data)
          keepRecent(watch, entry)
          for (const each of receivers) each.onEntry(key, entry)
        }),
      }
      this.watches.set(key, (w = watch))
      w.subscription.ready.then(
        () => void (watch.live = true),
        () => this.drop(key, watch),
      )
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
   * The entries after `after` up to the head this instance knows, when it holds every one of them
   * (notified since, in `epoch`): what a read from `after` would find, without the read. Undefined
   * when it does not hold them all.
   */
  recentSince(key: string, after: number, epoch: string): LogEntry[] | undefined {
    const w = this.watches.get(key)
    if (!w || w.last === undefined || epoch === '' || w.epoch !== epoch || after >= w.last) return undefined
    const first = w.recent[0]?.seq
    if (first === undefined || first > after + 1 || w.recent.at(-1)!.seq !== w.last) return undefined
    return w.recent.slice(after + 1 - first)
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
    this.stopKeepAlive()
  }

  /**
   * Heartbeats keep proxies and idle timeouts open; they cost the store nothing (the live index is
   * kept by keepSessionsAlive, on its own slower schedule).
   */
  private beat(): void {
    for (const set of this.bySession.values()) for (const r of set) r.heartbeat()
    this.ctx.observer.streams?.((this.parent ?? this).open)
    this.forgetStale(Date.now())
  }

  /**
   * Sessions whose streams all closed are forgotten once their refresh is due (a poll that comes
   * back later refreshes them itself); bounded by the sessions seen within keepAliveEvery.
   */
  private forgetStale(now: number): void {
    for (const [sid, at] of this.aliveAt) if (!this.bySession.has(sid) && now - at > this.keepAliveEvery) this.aliveAt.delete(sid)
  }

  /** When the session's live-index entry needs its next refresh, as far as this instance knows. */
  private keepAliveDue(sid: string): number {
    return Math.max(this.aliveAt.get(sid) ?? 0, this.touchedAt.get(sid) ?? 0) + this.keepAliveEvery
  }

  /**
   * Arms the keep-alive for `due` unless it is armed sooner. Every stream's session is refreshed
   * when it fires, so after the first one they all share one schedule: a poller's session keeps
   * its place in it across the moments between two polls (its aliveAt outlives them).
   */
  private scheduleKeepAlive(due: number): void {
    if (this.keepAliveTimer !== undefined && this.keepAliveAt <= due) return
    clearTimeout(this.keepAliveTimer)
    this.keepAliveAt = due
    this.keepAliveTimer = setTimeout(() => this.keepSessionsAlive(), Math.max(0, due - Date.now()))
    ;(this.keepAliveTimer as { unref?: () => void }).unref?.()
  }

  private stopKeepAlive(): void {
    clearTimeout(this.keepAliveTimer)
    this.keepAliveTimer = undefined
    this.keepAliveAt = Infinity
  }

  /**
   * One store call keeps every local session in the live index (what the sweep reads): the cost
   * of idle streams is one command per keep-alive interval per instance, not per stream, and runs
   * within the streams' lifetime. A session's record and direct log get their TTL refreshed (a
   * full touch) only once a quarter of the TTL has passed.
   */
  private keepSessionsAlive(): void {
    this.keepAliveTimer = undefined
    this.keepAliveAt = Infinity
    const sids = [...this.bySession.keys()]
    if (sids.length === 0) return
    const now = Date.now()
    this.scheduleKeepAlive(now + this.keepAliveEvery)
    const due = sids.filter((sid) => now - (this.touchedAt.get(sid) ?? 0) > (this.ctx.limits.ttl * 1000) / 4)
    const dueSet = new Set(due)
    const rest = sids.filter((sid) => !dueSet.has(sid))
    for (const sid of due) this.touchedAt.set(sid, now)
    // Sessions not in the live index get a full touch, which says which were ended: a session
    // another instance ended meanwhile (a lost touch made it look idle) still has its client here,
    // so it is revived. A sweep runs here too, within the streams' lifetime, but only when the
    // keep-alive says it would find work.
    // Noted at once (a poll arriving meanwhile need not refresh its session itself).
    for (const sid of rest) this.aliveAt.set(sid, now)
    const kept = rest.length
      ? this.ctx.keepAlive(rest).then(({ missing, sweepDue }) => {
          for (const sid of missing) this.forgetSession(sid)
          if (sweepDue) void this.ctx.sweepIfDue()
          return missing.length ? this.ctx.touch(missing) : []
        })
      : (void this.ctx.sweepIfDue(), [])
    const touched = due.length
      ? this.ctx.touch(due).then((ended) => {
          const gone = new Set(ended)
          for (const sid of due) if (!gone.has(sid)) this.noteTouched(sid, now)
          return ended
        })
      : []
    Promise.all([touched, kept])
      .then(([a, b]) => [...a, ...b])
      .then((ended) => {
        for (const sid of ended) this.forgetSession(sid)
        return ended.length ? this.ctx.revive(ended) : undefined
      })
      .catch((err) => console.error('[socket-serve] keep-alive failed:', err))
  }
}

/** The direct log's key: its watch holds the session's record (Watch.session). */
function directKey(sid: string): string {
  return `d:${sid}`
}

/** Keeps a notified entry among the log's recent ones, if it follows them (else starts them over). */
function keepRecent(w: Watch, entry: LogEntry | null): void {
  const last = w.recent.at(-1)
  if (entry === null || entry.epoch !== w.epoch || !last || last.epoch !== entry.epoch || entry.seq !== last.seq + 1) {
    w.recent = []
    w.recentBytes = 0
    if (entry === null || entry.epoch !== w.epoch || entry.seq !== w.last) return
  }
  w.recent.push(entry)
  w.recentBytes += entry.data.length
  while (w.recent.length > RECENT_ENTRIES || (w.recentBytes > RECENT_BYTES && w.recent.length > 1)) {
    w.recentBytes -= w.recent.shift()!.data.length
  }
}

function forgetRecord(w: Watch): void {
  w.session = undefined
  w.sessionChanges++
}

/**
 * A control entry of the session's direct log: the record changed just before it was appended, in
 * the way the entry says. A join or leave is applied to the record kept here (a copy: streams may
 * hold the old one), so the members' next polls after a join read no session; an ending, or an entry
 * this instance cannot read, drops it. A record read begun before the entry teaches nothing either way.
 */
function followRecord(w: Watch, data: string): void {
  const kept = w.session
  forgetRecord(w)
  if (kept) w.session = recordAfter(kept, [data])
}

/**
 * A session's record once the control entries `data` (in log order) were applied, as a copy;
 * undefined when one ends the session or cannot be read (the record must be read again).
 */
export function recordAfter(record: SessionRecord, data: readonly string[]): SessionRecord | undefined {
  const out = { ...record, rooms: { ...record.rooms }, roomEpochs: record.roomEpochs && { ...record.roomEpochs } }
  for (const d of data) {
    const c = parseControlEntry(d)
    if (!c || c.op === 'end') return undefined
    if (c.op === 'join') setJoin(out, c.room, { seq: c.seq, epoch: c.epoch })
    else unsetJoin(out, c.room)
  }
  return out
}
