import { BROADCAST_ROOM, DIRECT_KEY, encodeCursor, roomKey, type Cursor } from '@socket-serve/client/protocol'
import { isControlEntry, parseControlEntry } from '../store/entries.js'
import type { ServerCore } from '../core/server.js'
import type { LogEntry, SessionRecord } from '../store/types.js'
import type { DirectSink, DirectSource } from '../http/beside.js'
import { concatBytes } from './bytes.js'

/** One log this stream reads: its position and whether a store read is under way. */
interface KeyState {
  storeKey: string
  /** the client's name for this log (`d`, `r:<room>`) */
  clientKey: string
  /** `id: <key>=` prefix of this log's frames */
  idPrefix: string
  cursor: number
  pulling: boolean
  again: boolean
  /** the store subscription is live */
  watching: Promise<void>
}

export type StreamMode = 'sse' | 'poll'

const encoder = new TextEncoder()
/** Entries read from the store per round trip while catching up. */
const READ_BATCH = 500
/** A client this far behind (bytes queued) is cut; it resumes from its cursor. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024
const HEARTBEAT = ':\n\n'

/**
 * A frame's bytes, encoded once per entry: the Hub hands the same entry object
 * to every local stream of a room, so a broadcast is encoded once, not once per
 * receiver. (An entry belongs to one log, so its frame id prefix is the same for all.)
 */
const frames = new WeakMap<LogEntry, Uint8Array>()
function frameBytes(idPrefix: string, entry: LogEntry): Uint8Array {
  let bytes = frames.get(entry)
  if (!bytes) {
    bytes = encoder.encode(`${idPrefix}${entry.seq}\ndata: ${entry.data}\n\n`)
    frames.set(entry, bytes)
  }
  return bytes
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
  private keys = new Map<string, KeyState>()
  private out: (string | Uint8Array)[] = []
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

  constructor(
    private readonly server: ServerCore<any, any, any>,
    private readonly record: SessionRecord,
    private readonly cursor: Cursor,
    private readonly mode: StreamMode,
    /** poll only: false answers at once with whatever is ready */
    private readonly wait: boolean,
    signal?: AbortSignal,
    /** store work of the request (the touch) that must be done before the stream opens */
    private readonly before?: Promise<unknown>,
  ) {
    this.sid = record.sid
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
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
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
    this.out.push(HEARTBEAT)
    this.scheduleFlush()
    if (this.server.observer.wantsCursors) this.saveCursor()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.deadline)
    clearTimeout(this.saveTimer)
    if (this.opened && this.server.observer.wantsCursors) this.saveCursor()
    this.server.hub.remove(this)
    for (const key of this.keys.keys()) this.server.hub.unwatch(key, this)
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
    this.server.hub.add(this)
    const budget = this.timeBudget()
    if (budget > 0) this.deadline = setTimeout(() => this.end(), budget)

    // Watch before reading, so nothing appended in between is missed.
    const initial = [this.addKey(`d:${this.sid}`, DIRECT_KEY, 0)]
    for (const [room, joinedAt] of Object.entries(this.record.rooms)) {
      initial.push(this.addKey(`r:${room}`, roomKey(room), joinedAt))
    }
    try {
      await Promise.all([this.before, ...initial.map((k) => k.watching)])
    } catch (err) {
      if (!this.closed) console.error('[socket-serve] stream open failed:', err)
      this.end()
      return
    }
    await Promise.all(initial.map((k) => this.pull(k)))
    if (this.closed) return

    const open = { c: 'open', sid: this.sid, recovered: this.recovered, pingInterval: this.server.opts.pingInterval }
    this.out.unshift(`data: ${JSON.stringify(open)}\n\n`)
    this.opened = true
    this.flush()
    if (this.mode === 'poll' && !this.wait) this.close()
  }

  private timeBudget(): number {
    const { maxStreamDuration, pingInterval } = this.server.opts
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

  private addKey(storeKey: string, clientKey: string, joinedAt: number): KeyState {
    const known = this.cursor.get(clientKey)
    const k: KeyState = {
      storeKey,
      clientKey,
      idPrefix: `id: ${encodeURIComponent(clientKey)}=`,
      cursor: Math.max(known ?? 0, joinedAt),
      pulling: false,
      again: false,
      watching: Promise.resolve(),
    }
    this.keys.set(storeKey, k)
    k.watching = this.server.hub.watch(storeKey, this)
    return k
  }

  private removeKey(storeKey: string): void {
    if (this.keys.delete(storeKey)) this.server.hub.unwatch(storeKey, this)
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
        const hub = this.server.hub
        const known = hub.lastSeq(k.storeKey)
        if (known !== undefined && k.cursor >= known) break
        const generation = hub.generation(k.storeKey)
        const res = await this.server.store.read(k.storeKey, k.cursor, READ_BATCH)
        // Pulls run only once the key's subscription is live (open and join await it).
        hub.noteHead(k.storeKey, res.head, generation)
        if (this.closed || this.keys.get(k.storeKey) !== k) return
        // Entries past our cursor were trimmed away: the replay window was exceeded.
        if (res.first > k.cursor + 1 && res.head > k.cursor) this.gap(k)
        for (const e of res.entries) if (e.seq > k.cursor) this.deliver(k, e)
        if (res.entries.length >= READ_BATCH) k.again = true
      } while (k.again && !this.closed)
    } catch (err) {
      if (!this.closed) console.error('[socket-serve] stream read failed:', err)
      this.end()
    } finally {
      k.pulling = false
    }
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
    this.cursorMoved()
    if (isControlEntry(entry.data)) {
      if (k.storeKey === `d:${this.sid}`) this.control(entry.data)
      return
    }
    if (entry.exclude === this.sid) return
    this.out.push(frameBytes(k.idPrefix, entry))
    this.framesQueued++
    this.wroteMessage = true
    this.scheduleFlush()
  }

  /** Membership changes and session end travel through the direct log, in order. */
  private control(data: string): void {
    const c = parseControlEntry(data)
    if (!c) return
    if (c.op === 'join') {
      if (c.room === BROADCAST_ROOM || this.keys.has(`r:${c.room}`)) return
      const k = this.addKey(`r:${c.room}`, roomKey(c.room), c.seq)
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
    queueMicrotask(() => this.flush())
  }

  private flush(): void {
    this.flushQueued = false
    if (this.closed || this.out.length === 0) return
    const parts = this.out.map((p) => (typeof p === 'string' ? encoder.encode(p) : p))
    this.out.length = 0
    const bytes = concatBytes(parts)
    if (this.sink) {
      this.sink.write(bytes)
    } else {
      try {
        this.controller.enqueue(bytes)
      } catch {
        this.close()
        return
      }
    }
    if (this.framesQueued > 0) {
      this.server.observer.delivered(this.framesQueued)
      this.framesQueued = 0
    }
    if (this.mode === 'poll' && this.wroteMessage) this.close()
    else if (this.backlog() > MAX_QUEUED_BYTES) this.close()
  }

  private backlog(): number {
    return this.sink ? this.sink.backlog() : -(this.controller.desiredSize ?? 0)
  }

  /** With an inspector configured, queued counts should be right within a second. */
  private cursorMoved(): void {
    if (!this.server.observer.wantsCursors || this.saveTimer) return
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined
      if (!this.closed) this.saveCursor()
    }, 1000)
  }

  /** Records how far this stream got, so the inspector can count what is still queued. */
  private saveCursor(): void {
    const cursor = new Map<string, number>()
    for (const k of this.keys.values()) cursor.set(k.clientKey, k.cursor)
    if (cursor.size === 0) return
    this.server.store.saveCursor(this.sid, encodeCursor(cursor), this.server.limits).catch(() => {})
  }
}
