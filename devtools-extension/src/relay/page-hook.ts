import {
  endpointOf,
  HOOK_SOURCE,
  type HookEvent,
  type HookEventType,
  type HookSummary,
  type PageMessage,
  type SocketSummary,
} from './protocol.js'

/** The object installed as `__SOCKET_SERVE_DEVTOOLS_HOOK__`; `emit` is what the SDK calls. */
export interface PageHook {
  emit(type: HookEventType, payload: Record<string, unknown>): void
  /** JSON-safe: what the devtools page asks through `inspectedWindow.eval`. */
  summary(): HookSummary
  /** The content script answered: flush what was buffered and post batches from now on. */
  relayReady(): void
  /** Post what is buffered now (the page is going away); a no-op before the relay is ready. */
  flush(): void
  readonly version: 1
}

export interface PageHookOptions {
  /** posts one message to the content script (window.postMessage in the page) */
  post(message: PageMessage): void
  /**
   * events kept between two posts, and while no relay listens (the page ran before the content
   * script, or no DevTools); beyond it the oldest are dropped and counted
   */
  maxPending?: number
  /** the same bound in bytes (JSON): a page cannot fill its own memory through the hook (default 8 MB) */
  maxPendingBytes?: number
  /** bytes (JSON) of events per post at most: a flood is posted in slices (default 1 MB) */
  maxPostBytes?: number
  now?: () => number
  /** runs `flush` once, a little later: the batch window (default: a 50 ms timer) */
  schedule?: (flush: () => void) => void
}

/** One post per this many ms at most: a page at 1,000 frames/s costs the relay 20 messages/s. */
export const BATCH_MS = 50

const TYPES = new Set<string>(['state', 'frame:in', 'frame:out', 'ack'])

/**
 * A copy of the SDK's payload as it is now, and its size: the batch is posted up to BATCH_MS later,
 * and the app's listeners get the same frame objects in between (they may mutate them). Its JSON
 * image, as every later hop holds it (runtime ports and storage speak JSON): what cannot be JSON
 * (a function in the data) is left out here rather than failing a whole batch later.
 */
function snapshot(payload: Record<string, unknown>): { copy: Record<string, unknown>; bytes: number } | undefined {
  try {
    const json = JSON.stringify(payload)
    return { copy: JSON.parse(json) as Record<string, unknown>, bytes: json.length }
  } catch {
    return undefined // a cycle, a BigInt
  }
}

/**
 * The page-side hook, without the window. Each event is numbered, stamped and copied when it
 * happens, then buffered (bounded, oldest dropped first and counted): nothing is posted until the
 * relay is ready, and after that one message carries everything of a BATCH_MS window. The work per
 * event on the page's main thread is a copy and an array push.
 */
export function createPageHook(options: PageHookOptions): PageHook {
  const maxPending = options.maxPending ?? 10_000
  const maxPendingBytes = options.maxPendingBytes ?? 8 * 1024 * 1024
  const maxPostBytes = options.maxPostBytes ?? 1024 * 1024
  const now = options.now ?? (() => Date.now())
  const schedule = options.schedule ?? ((fn) => void setTimeout(fn, BATCH_MS))
  const sockets = new Map<number, SocketSummary>()
  let pending: HookEvent[] = []
  /** the JSON size of each pending event, and their sum */
  let sizes: number[] = []
  let pendingBytes = 0
  let dropped = 0
  /** dropped counts travel as deltas: each message says how many were lost since the last */
  let reported = 0
  let ready = false
  let scheduled = false
  let seq = 0

  const post = (events: HookEvent[]) => {
    const lost = dropped - reported
    try {
      options.post({ source: HOOK_SOURCE, kind: 'events', events, dropped: lost })
    } catch {
      dropped += events.length // snapshots are cloneable: only a closed window gets here
      return
    }
    reported += lost
  }

  const flush = () => {
    scheduled = false
    if (!ready || (!pending.length && dropped === reported)) return
    const batch = pending
    const batchSizes = sizes
    pending = []
    sizes = []
    pendingBytes = 0
    if (!batch.length) return post([]) // only a dropped count to report
    // Usually one post; a flood of large frames goes in slices of maxPostBytes (one event at least).
    for (let from = 0; from < batch.length; ) {
      let to = from
      let bytes = 0
      while (to < batch.length && (to === from || bytes + batchSizes[to]! <= maxPostBytes)) bytes += batchSizes[to++]!
      post(batch.slice(from, to))
      from = to
    }
  }

  const track = (type: HookEventType, payload: Record<string, unknown>) => {
    const uid = typeof payload.socket === 'number' ? payload.socket : 0
    let s = sockets.get(uid)
    if (!s) sockets.set(uid, (s = { socket: uid }))
    if (type !== 'state') return
    if (typeof payload.url === 'string' && payload.url !== s.url) {
      s.url = payload.url
      s.endpoint = endpointOf(payload.url)
    }
    if (typeof payload.to === 'string') s.state = payload.to
    if (typeof payload.sid === 'string') s.sid = payload.sid
    if (typeof payload.transport === 'string') s.transport = payload.transport
  }

  return {
    version: 1,
    emit(type, payload) {
      if (!TYPES.has(type) || payload === null || typeof payload !== 'object') return
      track(type, payload)
      const snap = snapshot(payload)
      if (!snap) {
        dropped++
        return
      }
      const copy = snap.copy
      // Stamped with the page's clock when it happens: an event replayed from the buffer when the
      // panel opens (an ack error, say) keeps its own time, not the panel's.
      if (typeof copy.time !== 'number') copy.time = now()
      pending.push({ seq: ++seq, type, payload: copy })
      sizes.push(snap.bytes + 40)
      pendingBytes += snap.bytes + 40
      while (pending.length > 1 && (pending.length > maxPending || pendingBytes > maxPendingBytes)) {
        pending.shift()
        pendingBytes -= sizes.shift()!
        dropped++
      }
      if (ready && !scheduled) {
        scheduled = true
        schedule(flush)
      }
    },
    summary() {
      return { version: 1, sockets: [...sockets.values()].map((s) => ({ ...s })), dropped }
    },
    relayReady() {
      if (ready) return
      ready = true
      flush()
    },
    flush,
  }
}
