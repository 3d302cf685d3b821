import {
  CONTENT_PORT,
  isInspectorCommand,
  isInspectorReply,
  PANEL_PORT,
  type BackgroundToContent,
  type BackgroundToPanel,
  type ContentToBackground,
  type HookEvent,
  type InspectorCommand,
  type PageInfo,
  type PanelToBackground,
} from './protocol.js'
import type { PortLike } from './port.js'

/** What the worker keeps per tab, and persists so a restarted worker still has it. */
export interface TabLog {
  page?: PageInfo
  events: HookEvent[]
  dropped: number
}

/** chrome.storage.session in the worker; a Map in tests. */
export interface HubStore {
  load(): Promise<Map<number, TabLog>>
  save(tabId: number, log: TabLog): void | Promise<void>
  remove(tabId: number): void | Promise<void>
}

export interface HubOptions {
  store?: HubStore
  /** events kept in memory per tab (the panel's backlog) */
  maxEvents?: number
  /** of those, how many are persisted (storage.session has a quota) */
  maxPersisted?: number
  /** bytes of events (as JSON) kept in memory per tab: a page cannot fill the worker (default 4 MB) */
  maxBytes?: number
  /**
   * bytes persisted per tab: storage.session's quota (10 MB) is shared by every tab, so one page
   * must not fill it (default 256 KB)
   */
  maxPersistedBytes?: number
  /** an event larger than this is dropped (counted as dropped), not kept (default 256 KB) */
  maxEventBytes?: number
  /**
   * Whether a port named as a panel really is our DevTools panel (background.ts checks the sender is
   * this extension's panel page). Without it, a port from a real tab (a content script: a page's
   * renderer) is refused as a panel.
   */
  isPanel?(sender: PortLike['sender']): boolean
  /** how long persistence waits to batch writes */
  persistDelayMs?: number
  /** ask a tab's content script to connect (chrome.tabs.sendMessage) */
  wakeContent?(tabId: number): void
  /**
   * Relay inspector commands (with their token) to the tab's content script. Off: the token would
   * enter the page's renderer; the panel calls the inspector itself. Kept only for its tests.
   */
  relayInspector?: boolean
  /** how long an inspector command waits for a content script before failing */
  contentTimeoutMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

type ContentPort = PortLike<ContentToBackground, BackgroundToContent>
type PanelPort = PortLike<PanelToBackground, BackgroundToPanel>

interface Tab {
  log: TabLog
  /** the JSON size of each event of log.events, and their sum */
  sizes: number[]
  bytes: number
  content?: ContentPort
  panels: Set<PanelPort>
  /** inspector commands waiting for the content script, with their failure timers */
  waiting: { command: InspectorCommand; panel: PanelPort; timer: unknown }[]
  /** listen ids each panel opened, so they stop when the panel goes */
  listens: Map<PanelPort, Set<string>>
}

export interface Hub {
  /** chrome.runtime.onConnect */
  connect(port: PortLike<any, any>): void
  /** chrome.tabs.onRemoved */
  forgetTab(tabId: number): void
  /** resolves once the persisted logs are loaded */
  readonly ready: Promise<void>
  /** tests and debugging */
  log(tabId: number): TabLog | undefined
  /** bytes of events kept in memory for a tab (tests and debugging) */
  bytes(tabId: number): number
}

/** An event's size as the worker holds and persists it (JSON). */
function size(e: HookEvent): number {
  try {
    return JSON.stringify(e).length
  } catch {
    return Infinity
  }
}

/**
 * The service worker's relay: pairs content ports and panel ports by tab id, keeps a bounded log per
 * tab for panels opened later, and persists it so a worker restart loses (almost) nothing. Every
 * port reconnects after a restart; the hub needs no state that a reconnect does not bring back.
 */
export function createHub(options: HubOptions = {}): Hub {
  const maxEvents = options.maxEvents ?? 5000
  const maxPersisted = options.maxPersisted ?? 500
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024
  const maxPersistedBytes = options.maxPersistedBytes ?? 256 * 1024
  const maxEventBytes = options.maxEventBytes ?? 256 * 1024
  // Chrome gives DevTools pages a tab of id -1; a content script always has a real tab.
  const relayInspector = options.relayInspector === true
  const isPanel = options.isPanel ?? ((sender) => (sender?.tab?.id ?? -1) < 0)
  const persistDelay = options.persistDelayMs ?? 250
  const contentTimeout = options.contentTimeoutMs ?? 5000
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>))
  const tabs = new Map<number, Tab>()
  const dirty = new Set<number>()
  let persistTimer: unknown
  let loaded = false
  const beforeLoad: (() => void)[] = []

  const tab = (id: number): Tab => {
    let t = tabs.get(id)
    if (!t) tabs.set(id, (t = { log: { events: [], dropped: 0 }, sizes: [], bytes: 0, panels: new Set(), waiting: [], listens: new Map() }))
    return t
  }

  /** Keeps a tab's log within maxEvents and maxBytes, dropping the oldest (counted in `dropped`). */
  const trim = (t: Tab) => {
    const log = t.log
    let cut = 0
    while (log.events.length - cut > maxEvents || (t.bytes > maxBytes && cut < log.events.length)) t.bytes -= t.sizes[cut++]!
    if (cut) {
      log.events.splice(0, cut)
      t.sizes.splice(0, cut)
      log.dropped += cut
    }
  }

  /** A log as a restarted worker loaded it: sizes recomputed, bounds applied. */
  const adopt = (t: Tab, log: TabLog) => {
    t.log = { page: log.page, events: Array.isArray(log.events) ? log.events : [], dropped: Number(log.dropped) || 0 }
    t.sizes = t.log.events.map(size)
    t.bytes = t.sizes.reduce((a, b) => a + b, 0)
    trim(t)
  }

  const ready = (async () => {
    try {
      const stored = (await options.store?.load()) ?? new Map<number, TabLog>()
      for (const [id, log] of stored) if (!tabs.has(id)) adopt(tab(id), log)
    } catch {
      // A broken store costs the backlog, not the relay.
    }
    loaded = true
    for (const op of beforeLoad.splice(0)) op()
  })()

  const whenLoaded = (op: () => void) => (loaded ? op() : void beforeLoad.push(op))

  const persist = (tabId: number) => {
    if (!options.store) return
    dirty.add(tabId)
    if (persistTimer !== undefined) return
    persistTimer = setTimer(() => {
      persistTimer = undefined
      for (const id of dirty) {
        const t = tabs.get(id)
        if (!t) continue
        const { page, events, dropped } = t.log
        // The newest events that fit both bounds.
        let from = events.length
        let bytes = 0
        while (from > 0 && events.length - from < maxPersisted && bytes + t.sizes[from - 1]! <= maxPersistedBytes) bytes += t.sizes[--from]!
        void Promise.resolve(options.store!.save(id, { page, events: events.slice(from), dropped: dropped + from })).catch(() => {})
      }
      dirty.clear()
    }, persistDelay)
  }

  const toPanels = (t: Tab, m: BackgroundToPanel) => {
    for (const p of t.panels) {
      try {
        p.postMessage(m)
      } catch {
        t.panels.delete(p)
      }
    }
  }

  const toContent = (t: Tab, command: InspectorCommand): boolean => {
    if (!t.content) return false
    try {
      t.content.postMessage(command)
      return true
    } catch {
      t.content = undefined
      return false
    }
  }

  const failCommand = (panel: PanelPort, command: InspectorCommand, message: string) => {
    if (command.kind !== 'inspector:send') return
    try {
      panel.postMessage({ kind: 'inspector:reply', id: command.id, ok: false, error: { code: 'NO_PAGE', message } })
    } catch {
      // the panel is gone too
    }
  }

  // ---- content scripts --------------------------------------------------------

  const onContent = (port: ContentPort) => {
    const tabId = port.sender?.tab?.id
    if (typeof tabId !== 'number' || tabId < 0) return port.disconnect()
    port.onMessage.addListener((m) =>
      whenLoaded(() => {
        const t = tab(tabId)
        if (m.kind === 'page') {
          t.content = port
          const isNew = t.log.page?.docId !== m.page.docId
          if (isNew) {
            adopt(t, { page: m.page, events: [], dropped: 0 })
            persist(tabId)
          }
          toPanels(t, { kind: 'page', page: m.page, reset: isNew })
          toPanels(t, { kind: 'content', connected: true })
          for (const w of t.waiting.splice(0)) {
            clearTimer(w.timer)
            if (!toContent(t, w.command)) failCommand(w.panel, w.command, 'the page went away')
          }
          return
        }
        if (t.content !== port) return // a stale document's port (before its page message)
        if (m.kind === 'events') {
          const log = t.log
          if (!Array.isArray(m.events)) return
          let dropped = Number(m.dropped) || 0
          const kept: HookEvent[] = []
          for (const e of m.events) {
            const n = size(e)
            if (n > maxEventBytes) {
              dropped++
              continue
            }
            kept.push(e)
            log.events.push(e)
            t.sizes.push(n)
            t.bytes += n
          }
          log.dropped += dropped
          trim(t)
          persist(tabId)
          toPanels(t, { kind: 'events', events: kept, dropped })
          return
        }
        if (isInspectorReply(m)) toPanels(t, m)
      }),
    )
    port.onDisconnect.addListener(() =>
      whenLoaded(() => {
        const t = tabs.get(tabId)
        if (!t || t.content !== port) return
        t.content = undefined
        toPanels(t, { kind: 'content', connected: false })
      }),
    )
  }

  // ---- DevTools panels --------------------------------------------------------

  const onPanel = (port: PanelPort) => {
    let tabId: number | undefined
    port.onMessage.addListener((m) =>
      whenLoaded(() => {
        if (m.kind === 'init') {
          if (tabId !== undefined) return
          tabId = m.tabId
          const t = tab(tabId)
          t.panels.add(port)
          const { page, events, dropped } = t.log
          port.postMessage({ kind: 'backlog', page, events, dropped, connected: t.content !== undefined })
          return
        }
        if (tabId === undefined || !isInspectorCommand(m)) return
        // Inspector commands carry a token: never into a content script (the page's renderer). The
        // panel calls the inspector itself (panel/ServerView.tsx); this path is refused.
        if (!relayInspector) return failCommand(port, m, 'the inspector is called from the panel, not through the page')
        const t = tab(tabId)
        if (m.kind === 'inspector:listen') {
          let ids = t.listens.get(port)
          if (!ids) t.listens.set(port, (ids = new Set()))
          ids.add(m.id)
        } else if (m.kind === 'inspector:unlisten') {
          t.listens.get(port)?.delete(m.id)
          t.waiting = t.waiting.filter((w) => {
            if (w.command.kind !== 'inspector:unlisten' && w.command.id === m.id) clearTimer(w.timer)
            return w.command.id !== m.id
          })
        }
        if (toContent(t, m)) return
        if (m.kind === 'inspector:unlisten') return
        const waiting = t.waiting
        const entry = {
          command: m,
          panel: port,
          timer: setTimer(() => {
            const i = waiting.indexOf(entry)
            if (i !== -1) waiting.splice(i, 1)
            failCommand(port, m, 'the page is not connected to the extension (reload the page?)')
          }, contentTimeout),
        }
        waiting.push(entry)
        options.wakeContent?.(tabId)
      }),
    )
    port.onDisconnect.addListener(() =>
      whenLoaded(() => {
        if (tabId === undefined) return
        const t = tabs.get(tabId)
        if (!t) return
        t.panels.delete(port)
        for (const id of t.listens.get(port) ?? []) toContent(t, { kind: 'inspector:unlisten', id })
        t.listens.delete(port)
        t.waiting = t.waiting.filter((w) => {
          if (w.panel === port) clearTimer(w.timer)
          return w.panel !== port
        })
      }),
    )
  }

  return {
    ready,
    connect(port) {
      if (port.name === CONTENT_PORT) onContent(port as ContentPort)
      else if (port.name === PANEL_PORT && isPanel(port.sender)) onPanel(port as PanelPort)
      else port.disconnect()
    },
    forgetTab(tabId) {
      const t = tabs.get(tabId)
      if (t) for (const w of t.waiting) clearTimer(w.timer)
      tabs.delete(tabId)
      dirty.delete(tabId)
      void Promise.resolve(options.store?.remove(tabId)).catch(() => {})
    },
    log(tabId) {
      return tabs.get(tabId)?.log
    },
    bytes(tabId) {
      return tabs.get(tabId)?.bytes ?? 0
    },
  }
}
