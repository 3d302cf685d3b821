import type { BackgroundToPanel, HookEvent, InspectorCommand, InspectorReply, PageInfo, PanelToBackground } from './protocol.js'
import { isInspectorReply } from './protocol.js'
import type { PortLike } from './port.js'

export interface PanelFeedHandlers {
  /** a new document (or the first one we hear of): forget what was shown */
  reset(page: PageInfo | undefined): void
  /** events not seen before, in page order */
  events(events: HookEvent[], dropped: number): void
  /** the page's content script is (not) connected to the worker */
  content?(connected: boolean): void
  /** the link to the worker: false while it restarts */
  link?(connected: boolean): void
  inspector?(reply: InspectorReply): void
}

export interface PanelLinkOptions extends PanelFeedHandlers {
  tabId: number
  /** chrome.runtime.connect({ name: PANEL_PORT }) */
  connect(): PortLike<BackgroundToPanel, PanelToBackground>
  retryMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
}

export interface PanelLink {
  /** an inspector command; queued while the worker restarts */
  send(command: InspectorCommand): void
  /** called after every reconnect (the worker restarted): re-issue what must survive it */
  onReconnect(fn: () => void): () => void
  close(): void
  readonly connected: boolean
}

/**
 * The panel's end: connects, asks for the tab's backlog, and reconnects whenever the worker
 * restarts. Events are numbered per document by the hook, so a backlog that repeats what the
 * panel already shows is cut at the last number seen.
 */
export function createPanelLink(options: PanelLinkOptions): PanelLink {
  const retryMs = options.retryMs ?? 200
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  let port: PortLike<BackgroundToPanel, PanelToBackground> | undefined
  let closed = false
  let docId: string | undefined
  let lastSeq = 0
  let everConnected = false
  const queue: InspectorCommand[] = []
  const reconnectFns = new Set<() => void>()

  const fresh = (events: HookEvent[]) => {
    const out = events.filter((e) => e.seq > lastSeq)
    if (out.length) lastSeq = out[out.length - 1].seq
    return out
  }

  const reset = (page: PageInfo | undefined) => {
    docId = page?.docId
    lastSeq = 0
    options.reset(page)
  }

  const onMessage = (m: BackgroundToPanel) => {
    switch (m.kind) {
      case 'backlog':
        if (m.page?.docId !== docId || m.page === undefined) reset(m.page)
        {
          const events = fresh(m.events)
          if (events.length || m.dropped) options.events(events, m.dropped)
        }
        options.content?.(m.connected)
        return
      case 'page':
        if (m.reset || m.page.docId !== docId) reset(m.page)
        return
      case 'events': {
        const events = fresh(m.events)
        if (events.length || m.dropped) options.events(events, m.dropped)
        return
      }
      case 'content':
        options.content?.(m.connected)
        return
      default:
        if (isInspectorReply(m)) options.inspector?.(m)
    }
  }

  const open = () => {
    if (closed) return
    let p: PortLike<BackgroundToPanel, PanelToBackground>
    try {
      p = options.connect()
    } catch {
      return // the extension was reloaded: this panel is dead
    }
    port = p
    p.onMessage.addListener((m) => onMessage(m))
    p.onDisconnect.addListener(() => {
      if (port !== p) return
      port = undefined
      options.link?.(false)
      if (!closed) setTimer(open, retryMs)
    })
    p.postMessage({ kind: 'init', tabId: options.tabId })
    options.link?.(true)
    const again = everConnected
    everConnected = true
    for (const c of queue.splice(0)) p.postMessage(c)
    if (again) for (const fn of reconnectFns) fn()
  }

  open()

  return {
    send(command) {
      if (port) {
        try {
          return port.postMessage(command)
        } catch {
          port = undefined
        }
      }
      if (command.kind !== 'inspector:unlisten') queue.push(command)
    },
    onReconnect(fn) {
      reconnectFns.add(fn)
      return () => reconnectFns.delete(fn)
    },
    close() {
      closed = true
      port?.disconnect()
      port = undefined
    },
    get connected() {
      return port !== undefined
    },
  }
}
