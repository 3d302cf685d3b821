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
  /** how long persistence waits to batch writes */
  persistDelayMs?: number
  /** ask a tab's content script to connect (chrome.tabs.sendMessage) */
  wakeContent?(tabId: number): void
  /** how long an inspector command waits for a content script before failing */
  contentTimeoutMs?: number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

type ContentPort = PortLike<ContentToBackground, BackgroundToContent>
type PanelPort = PortLike<PanelToBackground, BackgroundToPanel>

interface Tab {
  log: TabLog
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
}

/**
 * The service worker's relay: pairs content ports and panel ports by tab id, keeps a bounded log per
 * tab for panels opened later, and persists it so a worker restart loses (almost) nothing. Every
 * port reconnects after a restart; the hub needs no state that a reconnect does not bring back.
 */
export function createHub(options: HubOptions = {}): Hub {
  const maxEvents = options.maxEvents ?? 5000
  const maxPersisted = options.maxPersisted ?? 500
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
    if (!t) tabs.set(id, (t = { log: { events: [], dropped: 0 }, panels: new Set(), waiting: [], listens: new Map() }))
    return t
  }

  const ready = (async () => {
    try {
      const stored = (await options.store?.load()) ?? new Map<number, TabLog>()
      for (const [id, log] of stored) if (!tabs.has(id)) tab(id).log = log
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
        void Promise.resolve(options.store!.save(id, { page, events: events.slice(-maxPersisted), dropped })).catch(() => {})
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
            t.log = { page: m.page, events: [], dropped: 0 }
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
          log.dropped += m.dropped
          log.events.push(...m.events)
          if (log.events.length > maxEvents) {
            log.dropped += log.events.length - maxEvents
            log.events.splice(0, log.events.length - maxEvents)
          }
          persist(tabId)
          toPanels(t, { kind: 'events', events: m.events, dropped: m.dropped })
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
      else if (port.name === PANEL_PORT) onPanel(port as PanelPort)
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
  }
}
