import { LATENCY_BOUNDS, percentileFromHistogram } from '@socket-serve/inspector'
import { endpointOf, type HookEvent, type PageInfo } from './protocol.js'
import { Ring } from './ring.js'

/** One row of the frame list: a frame the server sent, or one message of a batch the page posted. */
export interface FrameRow {
  key: string
  seq: number
  socket: number
  time: number
  direction: 'in' | 'out'
  /** event name, or `[open]` / `[disconnect]` for control frames */
  event: string
  control: boolean
  /** bytes of the SSE data line (in) or of the whole POST body (out) */
  bytes: number
  /** SSE id (in) or message id (out) */
  id?: string | number
  /** in: the server's ack id (emitWithAck); out: the page wants an ack */
  ack?: string | boolean
  transport?: string
  /** in: the frame's payload; out: the message's data when the SDK reports it */
  data?: unknown
  /** out: messages in the same POST */
  batch?: number
}

export interface StateChange {
  time: number
  from: string
  to: string
  sid?: string
  transport?: string
}

export interface Connection {
  socket: number
  url?: string
  endpoint?: string
  state: string
  sid?: string
  transport?: string
  timeline: StateChange[]
  reconnects: number
  firstSeen: number
}

export interface EventCount {
  event: string
  sent: number
  received: number
  bytesIn: number
  bytesOut: number
}

export interface AckStat {
  event: string
  /** client: the page's emit answered by the server; server: a server emitWithAck the page answered */
  direction: 'client' | 'server'
  count: number
  errors: number
  /** round trip as the page saw it, by the server's percentile method (upper bound of the bucket; Infinity beyond 60 s) */
  p50: number
  p95: number
  max: number
}

export interface Problem {
  time: number
  socket: number
  kind: 'reconnect' | 'connect-failed' | 'server-disconnect' | 'ack-error'
  message: string
}

export interface PageModelOptions {
  maxFrames?: number
  /** unused: latencies are histogrammed (kept for callers that pass it) */
  maxSamples?: number
  maxRaw?: number
  maxProblems?: number
}

interface AckSamples {
  event: string
  direction: 'client' | 'server'
  count: number
  errors: number
  /** per-bucket counts over LATENCY_BOUNDS then +Inf: the server's percentile method, O(1) per ack */
  histogram: number[]
  max: number
}

const bucketOf = (ms: number) => {
  const i = LATENCY_BOUNDS.findIndex((b) => ms <= b)
  return i === -1 ? LATENCY_BOUNDS.length : i
}

/** An outgoing message's payload, when the SDK reports it (`data`, or `json` as serialized at emit). */
function outgoingData(m: { data?: unknown; json?: unknown }): unknown {
  if ('data' in m) return m.data
  if (typeof m.json !== 'string') return undefined
  try {
    return JSON.parse(m.json) as unknown
  } catch {
    return m.json
  }
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

/**
 * What the "This page" view shows, folded from the hook's events. Plain data and no Chrome: the
 * panel renders it, the tests feed it. Counts survive the frame list's bound; the list does not.
 * Frames and the raw log are rings (O(1) per event, nothing copied when full): at 1,000 frames/s
 * the work per frame is a row and a few counters, whatever the lists hold.
 */
export class PageModel {
  page: PageInfo | undefined
  readonly connections = new Map<number, Connection>()
  /** the newest frames (maxFrames), by absolute position: panel/frame-index.ts filters them */
  readonly frames: Ring<FrameRow>
  readonly counts = new Map<string, EventCount>()
  problems: Problem[] = []
  /** the newest hook events (maxRaw), for export */
  readonly raw: Ring<HookEvent>
  /** lost on the way (hook buffer, worker log bound) */
  dropped = 0
  /** frame rows recorded since the last reset or clear (the ring keeps only the newest) */
  recorded = 0
  /** frames and acks not recorded while paused */
  skipped = 0
  paused = false
  private readonly acks = new Map<string, AckSamples>()
  private readonly opts: Required<PageModelOptions>

  constructor(options: PageModelOptions = {}) {
    this.opts = { maxFrames: 10_000, maxSamples: 2000, maxRaw: 20_000, maxProblems: 500, ...options }
    this.frames = new Ring(this.opts.maxFrames)
    this.raw = new Ring(this.opts.maxRaw)
  }

  reset(page?: PageInfo): void {
    this.page = page
    this.connections.clear()
    this.frames.clear()
    this.counts.clear()
    this.problems = []
    this.raw.clear()
    this.recorded = 0
    this.dropped = 0
    this.skipped = 0
    this.acks.clear()
  }

  /** Clear the lists, keep the connections (their state is still true). */
  clear(): void {
    this.frames.clear()
    this.counts.clear()
    this.problems = []
    this.raw.clear()
    this.recorded = 0
    this.skipped = 0
    this.acks.clear()
    for (const c of this.connections.values()) c.reconnects = 0
  }

  apply(events: readonly HookEvent[], dropped = 0): void {
    this.dropped += dropped
    for (const e of events) this.applyOne(e)
    const { maxProblems } = this.opts
    if (this.problems.length > maxProblems) this.problems = this.problems.slice(-maxProblems)
  }

  ackStats(): AckStat[] {
    return [...this.acks.values()]
      .map((a) => {
        const h = a.histogram.map((count, i) => ({ le: i < LATENCY_BOUNDS.length ? LATENCY_BOUNDS[i]! : ('+Inf' as const), count }))
        const at = (q: number) => percentileFromHistogram(h, q) ?? 0
        return { event: a.event, direction: a.direction, count: a.count, errors: a.errors, p50: at(0.5), p95: at(0.95), max: a.max }
      })
      .sort((x, y) => x.event.localeCompare(y.event) || x.direction.localeCompare(y.direction))
  }

  eventCounts(): EventCount[] {
    return [...this.counts.values()].sort((a, b) => a.event.localeCompare(b.event))
  }

  /** The endpoints the page's sockets use (the Server view's choices). */
  endpoints(): string[] {
    return [...new Set([...this.connections.values()].map((c) => c.endpoint).filter((e): e is string => !!e))]
  }

  toJSON(): unknown {
    return {
      exportedAt: new Date().toISOString(),
      page: this.page,
      dropped: this.dropped,
      connections: [...this.connections.values()],
      counts: this.eventCounts(),
      acks: this.ackStats(),
      problems: this.problems,
      events: this.raw.toArray(),
    }
  }

  private connection(uid: number, time: number): Connection {
    let c = this.connections.get(uid)
    if (!c) this.connections.set(uid, (c = { socket: uid, state: 'disconnected', timeline: [], reconnects: 0, firstSeen: time }))
    return c
  }

  private count(event: string): EventCount {
    let c = this.counts.get(event)
    if (!c) this.counts.set(event, (c = { event, sent: 0, received: 0, bytesIn: 0, bytesOut: 0 }))
    return c
  }

  private applyOne(e: HookEvent): void {
    const p = e.payload
    const socket = typeof p.socket === 'number' ? p.socket : 0
    const time = typeof p.time === 'number' ? p.time : Date.now()
    if (e.type === 'state') return this.applyState(e, socket, time)
    if (this.paused) {
      this.skipped++
      return
    }
    this.raw.push(e)
    this.connection(socket, time)
    if (e.type === 'frame:in') {
      const frame = (p.frame ?? {}) as { e?: unknown; d?: unknown; a?: unknown; c?: unknown; reason?: unknown }
      const control = typeof frame.c === 'string'
      const event = control ? `[${String(frame.c)}]` : String(frame.e ?? '?')
      const bytes = typeof p.bytes === 'number' ? p.bytes : 0
      this.recorded++
      this.frames.push({
        key: `${e.seq}`,
        seq: e.seq,
        socket,
        time,
        direction: 'in',
        event,
        control,
        bytes,
        id: typeof p.id === 'string' ? p.id : undefined,
        ack: typeof frame.a === 'string' ? frame.a : undefined,
        transport: typeof p.transport === 'string' ? p.transport : undefined,
        data: control ? frame : frame.d,
      })
      if (!control) {
        const c = this.count(event)
        c.received++
        c.bytesIn += bytes
      } else if (frame.c === 'disconnect') {
        this.problem(time, socket, 'server-disconnect', `server disconnected the session${frame.reason ? `: ${String(frame.reason)}` : ''}`)
      }
      return
    }
    if (e.type === 'frame:out') {
      const messages = Array.isArray(p.messages) ? (p.messages as { id?: unknown; event?: unknown; ack?: unknown; data?: unknown; json?: unknown }[]) : []
      const bytes = typeof p.bytes === 'number' ? p.bytes : 0
      messages.forEach((m, i) => {
        const event = String(m.event ?? '?')
        this.recorded++
        this.frames.push({
          key: `${e.seq}.${i}`,
          seq: e.seq,
          socket,
          time,
          direction: 'out',
          event,
          control: false,
          bytes,
          id: typeof m.id === 'number' ? m.id : undefined,
          ack: m.ack === true,
          data: outgoingData(m),
          batch: messages.length,
        })
        const c = this.count(event)
        c.sent++
        c.bytesOut += messages.length ? Math.round(bytes / messages.length) : 0
      })
      return
    }
    if (e.type === 'ack') {
      const event = String(p.event ?? '?')
      const direction = p.direction === 'server' ? 'server' : 'client'
      const key = `${direction}\n${event}`
      let a = this.acks.get(key)
      if (!a) this.acks.set(key, (a = { event, direction, count: 0, errors: 0, histogram: new Array<number>(LATENCY_BOUNDS.length + 1).fill(0), max: 0 }))
      const latency = typeof p.latency === 'number' ? p.latency : 0
      a.count++
      if (typeof p.error === 'string') {
        a.errors++
        this.problem(time, socket, 'ack-error', `ack for "${event}" failed: ${p.error}`)
        return // a timeout's "latency" is the timeout, not a latency
      }
      a.histogram[bucketOf(latency)]!++
      if (latency > a.max) a.max = latency
    }
  }

  private applyState(e: HookEvent, socket: number, time: number): void {
    const p = e.payload
    this.raw.push(e)
    const c = this.connection(socket, time)
    const from = typeof p.from === 'string' ? p.from : c.state
    const to = typeof p.to === 'string' ? p.to : c.state
    if (typeof p.url === 'string' && p.url !== c.url) {
      c.url = p.url
      c.endpoint = endpointOf(p.url)
    }
    if (typeof p.sid === 'string') c.sid = p.sid
    if (typeof p.transport === 'string') c.transport = p.transport
    c.state = to
    c.timeline.push({ time, from, to, sid: typeof p.sid === 'string' ? p.sid : undefined, transport: typeof p.transport === 'string' ? p.transport : undefined })
    if (c.timeline.length > 200) c.timeline.shift()
    if (from === 'connected' && to === 'connecting') {
      c.reconnects++
      this.problem(time, socket, 'reconnect', 'connection lost: reconnecting')
    } else if (from === 'connecting' && to === 'disconnected') {
      this.problem(time, socket, 'connect-failed', 'stopped while connecting (attempts exhausted, refused, or disconnect())')
    }
  }

  private problem(time: number, socket: number, kind: Problem['kind'], message: string): void {
    this.problems.push({ time, socket, kind, message })
  }
}
