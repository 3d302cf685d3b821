import type {
  BackgroundToContent,
  ContentToBackground,
  HookEvent,
  InspectorCommand,
  InspectorErrorShape,
  InspectorTarget,
  PageInfo,
} from './protocol.js'
import type { PortLike } from './port.js'

/** The inspector API as the content script calls it: `@socket-serve/inspector`'s httpWall shape. */
export interface InspectorClient {
  listen(onEvent: (event: unknown) => void, onStatus?: (status: string) => void): () => void
  send(request: { type: string; [key: string]: unknown }): Promise<unknown>
}

export interface ContentRelayOptions {
  page: PageInfo
  /** chrome.runtime.connect({ name: CONTENT_PORT }); throws once the extension is gone */
  connect(): PortLike<BackgroundToContent, ContentToBackground>
  /** an inspector client for a target (httpWall from the page's origin) */
  inspector?(target: InspectorTarget): InspectorClient
  /** events kept while the worker is unreachable */
  maxUnsent?: number
  /** first reconnect delay; doubles up to 5 s */
  retryMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
}

export interface ContentRelay {
  /** events from the hook */
  push(events: HookEvent[], dropped: number): void
  /** the worker asked for us (a panel wants the Server view): connect even without new events */
  wake(): void
  readonly connected: boolean
  /** the extension was reloaded or removed: nothing more can be sent */
  readonly dead: boolean
}

/**
 * The content script's side of the relay. It connects lazily (pages without socket-serve never
 * open a port) and again after the service worker restarts, re-sending what it could not deliver.
 */
export function createContentRelay(options: ContentRelayOptions): ContentRelay {
  const maxUnsent = options.maxUnsent ?? 10_000
  const retryMs = options.retryMs ?? 100
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  let port: PortLike<BackgroundToContent, ContentToBackground> | undefined
  /** the hook's batches not delivered yet, kept as they came: each is one port message (≤ 1 MB) */
  let unsent: HookEvent[][] = []
  let unsentCount = 0
  let dropped = 0
  let dead = false
  let delay = retryMs
  let retryScheduled = false
  const listens = new Map<string, () => void>()
  const clients = new Map<string, InspectorClient>()

  const stopListens = () => {
    for (const stop of listens.values()) stop()
    listens.clear()
  }

  const open = (): boolean => {
    if (port) return true
    if (dead) return false
    let p: PortLike<BackgroundToContent, ContentToBackground>
    try {
      p = options.connect()
    } catch {
      dead = true // "Extension context invalidated"
      return false
    }
    port = p
    p.onMessage.addListener((m) => onCommand(m))
    p.onDisconnect.addListener(() => {
      if (port !== p) return
      port = undefined
      stopListens() // the panel re-listens once we are back
      if (unsent.length) scheduleRetry()
    })
    try {
      p.postMessage({ kind: 'page', page: options.page })
    } catch {
      port = undefined
      scheduleRetry()
      return false
    }
    return true
  }

  const scheduleRetry = () => {
    if (retryScheduled || dead) return
    retryScheduled = true
    setTimer(() => {
      retryScheduled = false
      if (open()) {
        delay = retryMs
        flush()
      } else {
        delay = Math.min(delay * 2, 5000)
        scheduleRetry()
      }
    }, delay)
  }

  const flush = () => {
    if (!port || (!unsent.length && !dropped)) return
    if (!unsent.length) unsent.push([]) // a dropped count alone
    while (unsent.length) {
      const events = unsent[0]!
      try {
        port.postMessage({ kind: 'events', events, dropped })
      } catch {
        port = undefined
        scheduleRetry()
        return
      }
      unsent.shift()
      unsentCount -= events.length
      dropped = 0
    }
  }

  const reply = (m: ContentToBackground) => {
    try {
      port?.postMessage(m)
    } catch {
      // The worker went away; the panel asks again after it reconnects.
    }
  }

  const clientFor = (target: InspectorTarget): InspectorClient | undefined => {
    if (!options.inspector) return undefined
    const key = `${target.endpoint}\n${target.token}`
    let c = clients.get(key)
    if (!c) clients.set(key, (c = options.inspector(target)))
    return c
  }

  const onCommand = (m: InspectorCommand) => {
    if (m.kind === 'inspector:unlisten') {
      listens.get(m.id)?.()
      listens.delete(m.id)
      return
    }
    const client = clientFor(m.target)
    if (!client) {
      if (m.kind === 'inspector:send') reply({ kind: 'inspector:reply', id: m.id, ok: false, error: { code: 'UNAVAILABLE', message: 'no inspector client in this page' } })
      return
    }
    if (m.kind === 'inspector:listen') {
      listens.get(m.id)?.()
      listens.set(
        m.id,
        client.listen(
          (event) => reply({ kind: 'inspector:event', id: m.id, event }),
          (status) => reply({ kind: 'inspector:status', id: m.id, status }),
        ),
      )
      return
    }
    client.send(m.request).then(
      (value) => reply({ kind: 'inspector:reply', id: m.id, ok: true, value }),
      (err: unknown) => reply({ kind: 'inspector:reply', id: m.id, ok: false, error: errorShape(err) }),
    )
  }

  return {
    push(events, droppedByHook) {
      dropped += droppedByHook
      if (events.length) {
        unsent.push(events)
        unsentCount += events.length
      }
      // Bounded while the worker is unreachable: the oldest go first, counted.
      while (unsentCount > maxUnsent) {
        const oldest = unsent[0]!
        const cut = Math.min(oldest.length, unsentCount - maxUnsent)
        dropped += cut
        unsentCount -= cut
        if (cut === oldest.length) unsent.shift()
        else unsent[0] = oldest.slice(cut)
      }
      if (open()) flush()
    },
    wake() {
      if (open()) flush()
    },
    get connected() {
      return port !== undefined
    },
    get dead() {
      return dead
    },
  }
}

function errorShape(err: unknown): InspectorErrorShape {
  const e = err as { code?: unknown; message?: unknown; status?: unknown }
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERROR',
    message: typeof e?.message === 'string' ? e.message : String(err),
    status: typeof e?.status === 'number' ? e.status : undefined,
  }
}
