import { BROADCAST_ROOM, DIRECT_KEY, encodeCursor, roomKey } from '@socket-serve/client/protocol'
import { isControlEntry, parseControlEntry } from '../store/entries.js'
import type { DeliveryContext } from './context.js'
import { recordAfter, type Hub } from './hub.js'
import type { LogEntry, LogPosition, ReadResult, SessionRecord } from '../store/types.js'
import type { DirectSink, DirectSource } from './sink.js'
import { BROADCAST_TAG, DIRECT_TAG, resumePositions, roomCursorTag, roomTag, sessionMark } from './cursor-id.js'
import { CLOSED, INSTANCE_MARK, SAVED_AT, UNREAD_BYTES } from './saved-cursor.js'

/** One log this stream reads: its position and whether a store read is under way. */
interface KeyState {
  storeKey: string
  /** the client's name for this log (`d`, `r:<room>`) */
  clientKey: string
  /** this log's key in frame ids: `d`, `*` or the room's tag */
  tag: string
  /** where the session joined this log: a cursor at it need not be sent */
  joinedAt: number
  cursor: number
  /**
   * the epoch `cursor` is in (a join position's is recorded with it); '' until known (a join
   * position or a cursor from before epochs): the first read adopts the log's. Once read, ''
   * means the log does not exist (cursor 0).
   */
  epoch: string
  pulling: boolean
  again: boolean
  /** the store subscription is live */
  watching: Promise<void>
}

export type StreamMode = 'sse' | 'poll'

const encoder = new TextEncoder()
/** Entries read from the store per round trip while catching up. */
const READ_BATCH = 500
/** Bytes queued that count as a client not keeping up, when they are still there a heartbeat later. */
const STALL_BYTES = 64 * 1024
/** The web stream's own buffer before it tells the stream to wait (desiredSize). */
const STREAM_HIGH_WATER = 64 * 1024
const HEARTBEAT = ':\n\n'
/**
 * How soon a standard EventSource comes back after a stream ends (its default
 * is ~3 s): a planned cut should cost it about as little as it costs our client.
 */
const RETRY = 'retry: 1000\n'

/**
 * A frame's `data:` text, made once per entry: the Hub hands the same entry object to every
 * local stream of a room, so a broadcast's frame text is built (and flattened, at its first
 * write) once, not once per receiver. Only the `id:` line (each stream's cursor) differs.
 */
const frames = new WeakMap<LogEntry, string>()
function dataText(entry: LogEntry): string {
  let text = frames.get(entry)
  if (text === undefined) {
    text = `data: ${entry.data}\n\n`
    frames.set(entry, text)
  }
  return text
}

/**
 * Streams with frames queued in this tick, written in one microtask: a broadcast to a
 * room's streams on this instance costs one microtask, not one per stream.
 */
let toFlush: Receiver[] = []
function flushAll(): void {
  const batch = toFlush
  toFlush = []
  for (const r of batch) {
    try {
      r.flush()
    } catch (err) {
      console.error('[socket-serve] stream write failed:', err)
    }
  }
}

/**
 * One open SSE or long-poll response. It reads the session's direct log, its
 * rooms' logs and the broadcast log from the client's cursor, then follows new
 * entries as the Hub hands them over. Frames ready in the same tick are written
 * as one chunk. A poll ends after its first write of messages. It writes to the
 * ReadableStream of stream(), or straight into a sink that a runtime adapter attached.
 */
export class Receiver implements DirectSource {
  readonly sid: string
  /** when the session's record last had its TTL refreshed: by this request's touch, or as stored */
  readonly touchedAt: number
  private keys = new Map<string, KeyState>()
  private out: string[] = []
  private flushQueued = false
  private opened = false
  private closed = false
  private wroteMessage = false
  /** message frames queued since the last flush, for the inspector's delivery count */
  private framesQueued = 0
  private saveTimer?: ReturnType<typeof setTimeout>
  private recovered = true
  private controller!: ReadableStreamDefaultController<Uint8Array>
  private sink?: DirectSink
  private deadline?: ReturnType<typeof setTimeout>
  /** positions the client's Last-Event-ID gives, by tag */
  private readonly resume: ReadonlyMap<string, number>
  /** the epochs of those positions, by tag */
  private readonly resumeEpochs: ReadonlyMap<string, string>
  private readonly mark: string
  /**
   * The id entries of every log but `restOf`, kept while only that log moves:
   * a fan-out's frames come from one room in a row, so its ids cost a concatenation each.
   */
  private restOf?: KeyState
  private rest = ''
  /** the backlog stayed over STALL_BYTES across a heartbeat */
  private stalled = false
  /** read once, when the stream opens (its rooms), then let go: an idle stream keeps only what it uses */
  private record?: SessionRecord
  /** while the first read runs, where the Hub does not know the session yet: the direct log's control entries it delivers */
  private firstControls?: string[]

  constructor(
    private readonly ctx: DeliveryContext,
    private readonly hub: Hub,
    record: SessionRecord,
    /** the client's Last-Event-ID */
    cursor: string | undefined,
    private readonly mode: StreamMode,
    /** poll only: false answers at once with whatever is ready */
    private readonly wait: boolean,
    signal?: AbortSignal,
    /** store work of the request (the touch) that must be done before the stream opens */
    private before?: Promise<unknown>,
    /** when the session's record was last touched, if not as the record says (the request touched it) */
    touchedAt?: number,
  ) {
    this.sid = record.sid
    this.record = record
    this.touchedAt = touchedAt ?? (before ? Date.now() : record.lastSeen)
    this.mark = sessionMark(this.sid)
    const resume = resumePositions(cursor, this.sid)
    this.resume = resume.positions
    this.resumeEpochs = resume.epochs
    signal?.addEventListener('abort', () => this.close(), { once: true })
  }

  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller
          void this.open()
        },
        cancel: () => this.close(),
      },
      // ByteLengthQueuingStrategy's rule, written out: Next.js's Edge runtime has no such global.
      { highWaterMark: STREAM_HIGH_WATER, size: (chunk) => chunk.byteLength },
    )
  }

  /** In place of stream(): writes go straight into the adapter's sink. */
  attach(sink: DirectSink): void {
    this.sink = sink
    // The client may have gone between the request and now.
    if (this.closed) sink.end()
    else void this.open()
  }

  /** The Hub hands over an entry appended to one of our logs (null: re-read, some may be missed). */
  onEntry(storeKey: string, entry: LogEntry | null): void {
    const k = this.keys.get(storeKey)
    if (!k || this.closed) return
    if (entry === null) {
      void this.pull(k)
    } else if (entry.epoch !== undefined && entry.epoch !== k.epoch && k.cursor > 0) {
      // Another epoch: the log started again. The read finds where that leaves us.
      void this.pull(k)
    } else if (k.pulling) {
      k.again = true
    } else if (entry.seq === k.cursor + 1) {
      this.deliver(k, entry)
    } else if (entry.seq > k.cursor) {
      void this.pull(k)
    }
  }

  heartbeat(): void {
    if (!this.opened || this.closed) return
    // A client that read nothing for a whole heartbeat while bytes wait is cut too, not only
    // one that lets streamBuffer bytes pile up: each open connection costs its queued bytes.
    const stalled = this.backlog() > STALL_BYTES
    if (stalled && this.stalled) return this.abort()
    this.stalled = stalled
    this.out.push(HEARTBEAT)
    this.scheduleFlush()
    if (this.ctx.observer.wantsCursors) this.saveCursor()
  }

  /** A newer stream of the session took this one's place: tell the client (not a kick), then end. */
  replaced(): void {
    if (this.closed) return
    this.out.push(`data: ${JSON.stringify({ c: 'close', reason: 'replaced' })}\n\n`)
    this.opened = true
    this.end()
  }

  /**
   * The client stopped reading: drop the connection with what is queued for it (ending it would
   * wait behind those bytes and free nothing). It resumes from its cursor if it comes back.
   */
  private abort(): void {
    if (this.closed) return
    const sink = this.sink
    const controller = this.controller
    this.out.length = 0
    if (sink?.abort) {
      this.sink = undefined
      this.close()
      sink.abort()
      return
    }
    try {
      // Erroring the stream drops its queued chunks (closing it would keep them for the reader).
      controller?.error(new Error('the client stopped reading'))
    } catch {
      // already closed
    }
    this.close()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.deadline)
    clearTimeout(this.saveTimer)
    if (this.opened && this.ctx.observer.wantsCursors) this.saveCursor()
    this.hub.remove(this)
    for (const key of this.keys.keys()) this.hub.unwatch(key, this)
    this.keys.clear()
    if (this.sink) {
      this.sink.end()
      return
    }
    try {
      this.controller?.close()
    } catch {
      // already closed or cancelled by the reader
    }
  }

  private async open(): Promise<void> {
    this.hub.add(this)
    const budget = this.timeBudget()
    if (budget > 0) this.deadline = setTimeout(() => this.end(), budget)

    // Watch before reading, so nothing appended in between is missed.
    const record = this.record!
    const initial = this.addInitialKeys()
    try {
      await Promise.all([this.before, ...initial.map((k) => k.watching)])
      this.before = undefined
    } catch (err) {
      if (!this.closed) console.error('[socket-serve] stream open failed:', err)
      this.end()
      return
    }
    // The first stream of a session here: its record was read before the direct log was watched,
    // so the Hub could not keep it. But the client cannot have seen a join or leave appended after
    // that read (it sent this request first), so every such entry lies after its cursor: the record
    // plus the control entries this first read delivers is the record now, and later ones are
    // notified. Kept, the session's next polls here read no record (Hub.rememberSession).
    const stamp = this.hub.knownSession(this.sid) ? undefined : this.hub.sessionStamp(this.sid)
    if (stamp) this.firstControls = []
    await this.pullAll(initial)
    const controls = this.firstControls
    this.firstControls = undefined
    if (stamp && controls && this.recovered && !this.closed) {
      const now = recordAfter(record, controls)
      if (now) this.hub.rememberSession(now, stamp)
    }
    if (this.closed) return

    const open = { c: 'open', sid: this.sid, recovered: this.recovered, pingInterval: this.ctx.pingInterval }
    this.out.unshift(`${this.mode === 'sse' ? RETRY : ''}data: ${JSON.stringify(open)}\n\n`)
    this.opened = true
    this.flush()
    // The inspector tells "never opened a stream" from "streaming" by this first save.
    if (this.mode === 'sse' && this.ctx.observer.wantsCursors) this.saveCursor()
    if (this.mode === 'poll' && !this.wait) this.close()
  }

  private timeBudget(): number {
    const { maxStreamDuration, pingInterval } = this.ctx
    // End a little before the platform would cut us, so the end is clean.
    const limit = maxStreamDuration > 0 ? maxStreamDuration - Math.min(1000, maxStreamDuration * 0.1) : 0
    if (this.mode === 'poll') return limit > 0 ? Math.min(limit, pingInterval) : pingInterval
    return limit
  }

  /** Ends the response cleanly: the client resumes at once from its cursor. */
  private end(): void {
    this.flush()
    this.close()
  }

  /**
   * The direct log, the broadcast log and the record's rooms, each at the client's
   * position or where the session joined it. Rooms sharing a short tag are named
   * by their long ones, and a short tag two rooms share gives no position.
   */
  private addInitialKeys(): KeyState[] {
    const keys = [this.addKey(`d:${this.sid}`, DIRECT_KEY, { seq: 0, epoch: '' }, DIRECT_TAG, DIRECT_TAG)]
    const rooms = Object.entries(this.record?.rooms ?? {})
    const roomEpochs = this.record?.roomEpochs
    this.record = undefined
    const shortTags = new Map<string, number>()
    for (const [room] of rooms) {
      if (room === BROADCAST_ROOM) continue
      const tag = roomTag(this.sid, room)
      shortTags.set(tag, (shortTags.get(tag) ?? 0) + 1)
    }
    const ambiguous = (tag: string) => (shortTags.get(tag) ?? 0) > 1
    for (const [room, seq] of rooms) {
      const joined = { seq, epoch: roomEpochs?.[room] ?? '' }
      if (room === BROADCAST_ROOM) {
        keys.push(this.addKey(`r:${room}`, roomKey(room), joined, BROADCAST_TAG, BROADCAST_TAG))
      } else {
        const short = roomTag(this.sid, room)
        const tag = ambiguous(short) ? roomTag(this.sid, room, true) : short
        keys.push(this.addKey(`r:${room}`, roomKey(room), joined, tag, roomCursorTag(this.resume, this.sid, room, ambiguous)))
      }
    }
    return keys
  }

  /**
   * `joined`: where the session joined this log. `cursorTag`: the tag under which the client's
   * cursor holds this log's position, if it does. The cursor is taken when it is at or past the
   * join position, or in another epoch than the join's (the log started again since the join, and
   * the client has read the new one: its seqs say nothing about the old join position).
   */
  private addKey(storeKey: string, clientKey: string, joined: LogPosition, tag: string, cursorTag: string | undefined): KeyState {
    const known = cursorTag === undefined ? undefined : this.resume.get(cursorTag)
    const knownEpoch = cursorTag === undefined ? '' : (this.resumeEpochs.get(cursorTag) ?? '')
    const resumed = known !== undefined && (known >= joined.seq || (knownEpoch !== '' && joined.epoch !== '' && knownEpoch !== joined.epoch))
    const k: KeyState = {
      storeKey,
      clientKey,
      tag,
      joinedAt: joined.seq,
      cursor: resumed ? known : joined.seq,
      epoch: resumed ? knownEpoch : joined.epoch,
      pulling: false,
      again: false,
      watching: Promise.resolve(),
    }
    this.keys.set(storeKey, k)
    this.restOf = undefined
    k.watching = this.hub.watch(storeKey, this)
    return k
  }

  private removeKey(storeKey: string): void {
    this.restOf = undefined
    if (this.keys.delete(storeKey)) this.hub.unwatch(storeKey, this)
  }

  /** Reads the log from the cursor until caught up (again, if entries arrived meanwhile). */
  private async pull(k: KeyState): Promise<void> {
    if (k.pulling) {
      k.again = true
      return
    }
    k.pulling = true
    try {
      do {
        k.again = false
        const hub = this.hub
        if (this.atKnownHead(k)) break
        if (this.fromRecent(k)) continue
        const generation = hub.generation(k.storeKey)
        const res = await this.ctx.logs.read(k.storeKey, k.cursor, READ_BATCH, k.epoch)
        if (!this.applyRead(k, res, generation)) return
      } while (k.again && !this.closed)
    } catch (err) {
      if (!this.closed) console.error('[socket-serve] stream read failed:', err)
      this.end()
    } finally {
      k.pulling = false
    }
  }

  /**
   * The Hub knows the log's head (its subscription has been live since a read or a notification
   * told it) and `k` is there: nothing to read. A position without an epoch (where the session
   * joined, or a log that does not exist yet) that is exactly the head takes the head's epoch, as
   * a read would: a room nothing was said in since the join costs a warm poll no read either.
   */
  private atKnownHead(k: KeyState): boolean {
    const known = this.hub.lastSeq(k.storeKey)
    if (known === undefined) return false
    if (k.epoch === '' && k.cursor === known.seq) {
      k.epoch = known.epoch ?? ''
      return true
    }
    return k.epoch !== '' && known.epoch === k.epoch && k.cursor >= known.seq
  }

  /**
   * Delivers what a read from the cursor would find from the entries the Hub holds (notified
   * since its subscription is live), when it holds all of them: a poll that comes back behind a
   * burst of broadcasts costs no read. False when a read is needed.
   */
  private fromRecent(k: KeyState): boolean {
    const entries = this.hub.recentSince(k.storeKey, k.cursor, k.epoch)
    if (!entries) return false
    for (const e of entries) if (!this.closed && this.keys.get(k.storeKey) === k) this.deliver(k, e)
    return true
  }

  /**
   * The cursor is in another incarnation of the log (the log was lost and created
   * again, under a new epoch), or beyond its head (the store lost entries it had numbered:
   * the read renewed the log's epoch). Entries this stream delivered are gone from the log,
   * so it reports the gap; the caller reads again. A lost log is read over from its start:
   * what the new one holds was never delivered. A renewed log goes on from the head it was
   * renewed at (its entries up to there are the ones delivered), so what is appended next is
   * delivered under the new epoch and never taken for what was lost. A cursor at or below that
   * head is in the same log: it just takes the new epoch, no gap.
   */
  private restarted(k: KeyState, res: ReadResult): boolean {
    const renewedFrom = res.renewed !== undefined && k.epoch === res.renewed.epoch
    const same = k.epoch === '' || k.epoch === res.epoch || (renewedFrom && k.cursor <= res.renewed!.seq)
    if (k.cursor === 0 || (same && k.cursor <= res.head)) {
      // Ids cached for the other logs' frames hold this log's epoch.
      if (k.epoch !== res.epoch) this.restOf = undefined
      k.epoch = res.epoch
      return false
    }
    this.gap(k)
    k.cursor = renewedFrom ? res.renewed!.seq : 0
    k.joinedAt = Math.min(k.joinedAt, k.cursor)
    k.epoch = res.epoch
    this.restOf = undefined
    k.again = true
    return true
  }

  /**
   * The first read of a stream's logs: one store call for all of them (a poll costs the same
   * whatever the session's rooms), skipping logs the Hub knows we are at the head of. A log
   * with more to read, or appended to meanwhile, goes on with pull().
   */
  private async pullAll(keys: KeyState[]): Promise<void> {
    const hub = this.hub
    const due = keys.filter((k) => !k.pulling && !this.atKnownHead(k) && !this.fromRecent(k))
    if (this.closed) return
    if (due.length === 0) return
    if (due.length === 1) return this.pull(due[0]!)
    for (const k of due) {
      k.pulling = true
      k.again = false
    }
    const generations = due.map((k) => hub.generation(k.storeKey))
    let results: ReadResult[]
    try {
      results = await this.ctx.logs.readMany(due.map((k) => ({ key: k.storeKey, after: k.cursor, limit: READ_BATCH, epoch: k.epoch })))
    } catch (err) {
      for (const k of due) k.pulling = false
      if (!this.closed) console.error('[socket-serve] stream read failed:', err)
      this.end()
      return
    }
    const more: KeyState[] = []
    due.forEach((k, i) => {
      k.pulling = false
      // again: more than a batch, or entries notified while the read was under way
      if (this.applyRead(k, results[i]!, generations[i]!) && k.again) more.push(k)
    })
    if (!this.closed) await Promise.all(more.map((k) => this.pull(k)))
  }

  /**
   * Delivers what a read of `k` found; false when the stream closed or no longer reads `k`.
   * Sets `k.again` when there may be more to read.
   */
  private applyRead(k: KeyState, res: ReadResult, generation: number): boolean {
    // Reads run only once the key's subscription is live (open and join await it).
    this.hub.noteHead(k.storeKey, res.head, res.epoch, generation)
    if (this.closed || this.keys.get(k.storeKey) !== k) return false
    // Another incarnation of the log: start it over (k.again is set, so the caller reads again).
    if (this.restarted(k, res)) return true
    // Entries past our cursor were trimmed away: the replay window was exceeded.
    if (res.first > k.cursor + 1 && res.head > k.cursor) this.gap(k)
    for (const e of res.entries) if (e.seq > k.cursor) this.deliver(k, e)
    if (res.entries.length >= READ_BATCH) k.again = true
    return true
  }

  /**
   * Entries this stream should have delivered are gone. Before the open frame it says
   * `recovered: false`; once open, a gap frame tells the client at once.
   */
  private gap(k: KeyState): void {
    if (!this.opened) {
      this.recovered = false
      return
    }
    this.out.push(`data: ${JSON.stringify({ c: 'gap', keys: [k.clientKey] })}\n\n`)
    this.scheduleFlush()
  }

  private deliver(k: KeyState, entry: LogEntry): void {
    k.cursor = entry.seq
    if (entry.epoch) k.epoch = entry.epoch
    if (k !== this.restOf) this.restOf = undefined
    this.cursorMoved()
    if (isControlEntry(entry.data)) {
      if (k.storeKey === `d:${this.sid}`) {
        this.firstControls?.push(entry.data)
        this.control(entry.data)
      }
      return
    }
    if (entry.exclude === this.sid) return
    this.out.push(this.frameId(k), dataText(entry))
    this.framesQueued++
    this.wroteMessage = true
    this.scheduleFlush()
  }

  /**
   * A frame's `id:` line: this stream's whole cursor after the frame, its own log
   * first (that entry is what a client dedupes by). Logs still where the session
   * joined them are left out: a cursor without them means the same.
   */
  private frameId(own: KeyState): string {
    if (this.restOf !== own) {
      let rest = ''
      for (const k of this.keys.values()) if (k !== own && k.cursor > k.joinedAt) rest += `.${k.tag}${k.cursor}${k.epoch}`
      this.rest = rest
      this.restOf = own
    }
    return `id: ${this.mark}.${own.tag}${own.cursor}${own.epoch}${this.rest}\n`
  }

  /** Membership changes and session end travel through the direct log, in order. */
  private control(data: string): void {
    const c = parseControlEntry(data)
    if (!c) return
    if (c.op === 'join') {
      if (c.room === BROADCAST_ROOM || this.keys.has(`r:${c.room}`)) return
      // A room whose short tag another log of this stream has takes its long one.
      const short = roomTag(this.sid, c.room)
      const taken = (tag: string) => [...this.keys.values()].some((other) => other.tag === tag)
      const tag = taken(short) ? roomTag(this.sid, c.room, true) : short
      const k = this.addKey(`r:${c.room}`, roomKey(c.room), c, tag, roomCursorTag(this.resume, this.sid, c.room, taken))
      k.watching.then(
        () => this.pull(k),
        () => this.end(),
      )
    } else if (c.op === 'leave') {
      this.removeKey(`r:${c.room}`)
    } else {
      this.out.push(`data: ${JSON.stringify({ c: 'disconnect', reason: c.reason })}\n\n`)
      this.wroteMessage = true
      this.opened = true
      this.end()
    }
  }

  private scheduleFlush(): void {
    if (this.flushQueued || !this.opened) return
    this.flushQueued = true
    if (toFlush.push(this) === 1) queueMicrotask(flushAll)
  }

  /** Writes what is queued (run by flushAll). */
  flush(): void {
    this.flushQueued = false
    if (this.closed || this.out.length === 0) return
    // Still more than streamBuffer queued from earlier writes: the client is not reading. (Checked
    // before a write, so one catch-up read larger than the bound still goes out whole.)
    if (this.backlog() > this.ctx.streamBuffer) return this.abort()
    const text = this.out.length === 1 ? this.out[0]! : this.out.join('')
    this.out.length = 0
    if (this.sink) {
      // Node encodes a string as it copies it to the socket: no byte array per receiver
      this.sink.write(text)
    } else {
      try {
        this.controller.enqueue(encoder.encode(text))
      } catch {
        this.close()
        return
      }
    }
    if (this.framesQueued > 0) {
      this.ctx.observer.delivered(this.framesQueued)
      this.framesQueued = 0
    }
    if (this.mode === 'poll' && this.wroteMessage) this.close()
  }

  private unreadBytes(): number {
    if (this.sink) return this.sink.backlog()
    return this.controller ? Math.max(0, STREAM_HIGH_WATER - (this.controller.desiredSize ?? STREAM_HIGH_WATER)) : 0
  }

  private backlog(): number {
    return this.sink ? this.sink.backlog() : -(this.controller.desiredSize ?? 0)
  }

  /** With an inspector configured, queued counts should be right within a second. */
  private cursorMoved(): void {
    if (!this.ctx.observer.wantsCursors || this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      if (!this.closed) this.saveCursor()
    }, 1000)
  }

  /**
   * Records how far this stream got, so the inspector can count what is still queued, with
   * three marks no log key can take: when (`@at`), bytes written but not yet taken by the
   * client (`@unread`: a client that stopped reading), and that an SSE stream closed (`@closed`).
   */
  private saveCursor(): void {
    const cursor = new Map<string, number>()
    for (const k of this.keys.values()) cursor.set(k.clientKey, k.cursor)
    if (cursor.size === 0) return
    cursor.set(SAVED_AT, Date.now())
    const unread = this.unreadBytes()
    if (unread > 0) cursor.set(UNREAD_BYTES, unread)
    if (this.closed && this.mode === 'sse') cursor.set(CLOSED, 1)
    // Which instance serves the session's stream: part of the same write, so it costs nothing more.
    if (this.ctx.observer.instance !== undefined) cursor.set(INSTANCE_MARK + this.ctx.observer.instance, 1)
    this.ctx.logs.saveCursor(this.sid, encodeCursor(cursor), this.ctx.limits).catch(() => {})
  }
}
