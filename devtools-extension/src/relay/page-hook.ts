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
  /** The content script answered: flush what was buffered and post live from now on. */
  relayReady(): void
  readonly version: 1
}

export interface PageHookOptions {
  /** posts one message to the content script (window.postMessage in the page) */
  post(message: PageMessage): void
  /** events kept while no relay listens (the page ran before the content script, or no DevTools) */
  maxPending?: number
  now?: () => number
}

const TYPES = new Set<string>(['state', 'frame:in', 'frame:out', 'ack'])

/**
 * The page-side hook, without the window: buffers until the relay is ready (bounded, oldest
 * dropped first), then posts each event as it happens. Posting at once matters: the structured
 * clone snapshots a frame before the app's listeners can mutate its data.
 */
export function createPageHook(options: PageHookOptions): PageHook {
  const maxPending = options.maxPending ?? 2000
  const now = options.now ?? (() => Date.now())
  const sockets = new Map<number, SocketSummary>()
  let pending: HookEvent[] = []
  let dropped = 0
  /** dropped counts travel as deltas: each message says how many were lost since the last */
  let reported = 0
  let ready = false
  let seq = 0

  const post = (events: HookEvent[]) => {
    const lost = dropped - reported
    try {
      options.post({ source: HOOK_SOURCE, kind: 'events', events, dropped: lost })
    } catch {
      // A payload the structured clone refuses: send its JSON image instead of nothing.
      try {
        options.post({ source: HOOK_SOURCE, kind: 'events', events: JSON.parse(JSON.stringify(events)) as HookEvent[], dropped: lost })
      } catch {
        dropped += events.length
        return
      }
    }
    reported += lost
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
      // Stamped with the page's clock when it happens: an event replayed from the buffer when the
      // panel opens (an ack error, say) keeps its own time, not the panel's.
      const stamped = typeof payload.time === 'number' ? payload : { ...payload, time: now() }
      const event: HookEvent = { seq: ++seq, type, payload: stamped }
      if (ready) return post([event])
      pending.push(event)
      if (pending.length > maxPending) {
        pending.shift()
        dropped++
      }
    },
    summary() {
      return { version: 1, sockets: [...sockets.values()].map((s) => ({ ...s })), dropped }
    },
    relayReady() {
      if (ready) return
      ready = true
      const batch = pending
      pending = []
      if (batch.length || dropped) post(batch)
    },
  }
}
