import { describe, expect, it } from 'vitest'
import { createHub, type HubStore, type TabLog } from './hub.js'
import { portPair, type PortLike } from './port.js'
import { CONTENT_PORT, PANEL_PORT, type HookEvent, type PageInfo } from './protocol.js'

const flush = () => new Promise((r) => setTimeout(r, 0))
const ev = (seq: number, type: HookEvent['type'] = 'ack'): HookEvent => ({ seq, type, payload: { socket: 1, event: 'e', latency: seq } })
const page = (docId: string): PageInfo => ({ docId, url: `https://app.test/${docId}`, time: 1 })

/** A store that lives outside the hub, as storage.session outlives the worker. */
function memoryStore(): HubStore & { data: Map<number, TabLog> } {
  const data = new Map<number, TabLog>()
  return {
    data,
    load: async () => new Map(JSON.parse(JSON.stringify([...data]))),
    save: (id, log) => void data.set(id, JSON.parse(JSON.stringify(log))),
    remove: (id) => void data.delete(id),
  }
}

function content(hub: ReturnType<typeof createHub>, tabId: number) {
  const [client, server] = portPair<any, any>(CONTENT_PORT, { tab: { id: tabId } })
  const got: any[] = []
  client.onMessage.addListener((m) => got.push(m))
  hub.connect(server)
  return { port: client as PortLike<any, any>, got }
}

function panel(hub: ReturnType<typeof createHub>, tabId: number) {
  const [client, server] = portPair<any, any>(PANEL_PORT)
  const got: any[] = []
  client.onMessage.addListener((m) => got.push(m))
  hub.connect(server)
  client.postMessage({ kind: 'init', tabId })
  return { port: client as PortLike<any, any>, got, kinds: () => got.map((m) => m.kind) }
}

describe('service worker hub', () => {
  it('pairs content and panels by tab id', async () => {
    const hub = createHub()
    const c1 = content(hub, 1)
    const c2 = content(hub, 2)
    const p1 = panel(hub, 1)
    const p2 = panel(hub, 2)
    c1.port.postMessage({ kind: 'page', page: page('a') })
    c2.port.postMessage({ kind: 'page', page: page('b') })
    await flush()
    c1.port.postMessage({ kind: 'events', events: [ev(1)], dropped: 0 })
    c2.port.postMessage({ kind: 'events', events: [ev(1), ev(2)], dropped: 0 })
    await flush()
    const events = (p: { got: any[] }) => p.got.filter((m) => m.kind === 'events').flatMap((m) => m.events.map((e: HookEvent) => e.seq))
    expect(events(p1)).toEqual([1])
    expect(events(p2)).toEqual([1, 2])
    expect(p1.got.find((m) => m.kind === 'page').page.docId).toBe('a')
  })

  it('gives a panel opened later the tab backlog, bounded', async () => {
    const hub = createHub({ maxEvents: 3 })
    const c = content(hub, 7)
    c.port.postMessage({ kind: 'page', page: page('a') })
    c.port.postMessage({ kind: 'events', events: [ev(1), ev(2), ev(3), ev(4)], dropped: 1 })
    c.port.postMessage({ kind: 'events', events: [ev(5)], dropped: 0 })
    await flush()
    const p = panel(hub, 7)
    await flush()
    expect(p.got[0]).toMatchObject({ kind: 'backlog', page: page('a'), dropped: 3, connected: true })
    expect(p.got[0].events.map((e: HookEvent) => e.seq)).toEqual([3, 4, 5])
  })

  it('keeps at most maxBytes per tab in memory and maxPersistedBytes per tab in storage, oldest dropped first', async () => {
    const store = memoryStore()
    let persistNow: (() => void) | undefined
    const hub = createHub({ store, maxBytes: 50_000, maxPersistedBytes: 10_000, maxEventBytes: 20_000, setTimer: (fn) => ((persistNow = fn), 1), clearTimer: () => {} })
    await hub.ready
    const c = content(hub, 3)
    const other = content(hub, 4)
    c.port.postMessage({ kind: 'page', page: page('a') })
    other.port.postMessage({ kind: 'page', page: page('b') })
    other.port.postMessage({ kind: 'events', events: [ev(1)], dropped: 0 })
    // A page pushing 1,000 events of ~5 KB (5 MB) and one of 30 KB (over maxEventBytes).
    const big = (seq: number, n: number): HookEvent => ({ seq, type: 'frame:in', payload: { socket: 1, event: 'flood', data: 'x'.repeat(n) } })
    for (let i = 1; i <= 1000; i++) c.port.postMessage({ kind: 'events', events: [big(i, 5000)], dropped: 0 })
    c.port.postMessage({ kind: 'events', events: [big(1001, 30_000)], dropped: 0 })
    await flush()
    expect(hub.bytes(3)).toBeLessThanOrEqual(50_000)
    const log = hub.log(3)!
    expect(log.events.length).toBeGreaterThan(5)
    expect(log.events.at(-1)!.seq).toBe(1000) // the newest kept, the oversized one dropped
    expect(log.dropped).toBe(1001 - log.events.length)
    persistNow!()
    const saved = store.data.get(3)!
    expect(JSON.stringify(saved.events).length).toBeLessThanOrEqual(10_000)
    expect(saved.events.at(-1)!.seq).toBe(1000)
    // The other tab is untouched by the flood.
    expect(hub.log(4)!.events.map((e) => e.seq)).toEqual([1])
    expect(store.data.get(4)!.events.map((e) => e.seq)).toEqual([1])
  })

  it("refuses a panel port whose sender is a tab (a page's content script), and the one isPanel rejects", async () => {
    const hub = createHub({ isPanel: (s) => s?.url === 'chrome-extension://me/panel.html' })
    const c = content(hub, 5)
    c.port.postMessage({ kind: 'page', page: page('secret') })
    c.port.postMessage({ kind: 'events', events: [ev(1)], dropped: 0 })
    await flush()
    for (const sender of [{ tab: { id: 9 }, url: 'https://evil.test/' }, { url: 'chrome-extension://other/panel.html' }, undefined]) {
      const [client, server] = portPair<any, any>(PANEL_PORT, sender)
      const got: any[] = []
      let closed = false
      client.onMessage.addListener((m) => got.push(m))
      client.onDisconnect.addListener(() => (closed = true))
      hub.connect(server)
      client.postMessage({ kind: 'init', tabId: 5 })
      await flush()
      expect(got).toEqual([])
      expect(closed).toBe(true)
    }
    const [client, server] = portPair<any, any>(PANEL_PORT, { url: 'chrome-extension://me/panel.html', id: 'me' })
    const got: any[] = []
    client.onMessage.addListener((m) => got.push(m))
    hub.connect(server)
    client.postMessage({ kind: 'init', tabId: 5 })
    await flush()
    expect(got[0]).toMatchObject({ kind: 'backlog', page: page('secret') })
    // By default (no isPanel), any sender with a tab is refused as a panel.
    const plain = createHub()
    const [evil, evilServer] = portPair<any, any>(PANEL_PORT, { tab: { id: 1 }, url: 'https://evil.test/' })
    let evilClosed = false
    evil.onDisconnect.addListener(() => (evilClosed = true))
    plain.connect(evilServer)
    await flush()
    expect(evilClosed).toBe(true)
  })

  it('starts a new log on a new document and ignores the old document port', async () => {
    const hub = createHub()
    const old = content(hub, 1)
    old.port.postMessage({ kind: 'page', page: page('a') })
    old.port.postMessage({ kind: 'events', events: [ev(1)], dropped: 0 })
    await flush()
    const p = panel(hub, 1)
    const fresh = content(hub, 1)
    fresh.port.postMessage({ kind: 'page', page: page('b') })
    await flush()
    old.port.postMessage({ kind: 'events', events: [ev(2)], dropped: 0 }) // late, from the page we left
    old.port.disconnect()
    await flush()
    expect(hub.log(1)).toEqual({ page: page('b'), events: [], dropped: 0 })
    expect(p.got.find((m) => m.kind === 'page')).toMatchObject({ page: page('b'), reset: true })
    // The old port's disconnect does not mark the new page as gone.
    expect(p.got.filter((m) => m.kind === 'content').map((m) => m.connected)).toEqual([true])
  })

  it('survives a worker restart: the new worker has the persisted log and the same document keeps it', async () => {
    const store = memoryStore()
    const timers: (() => void)[] = []
    const first = createHub({ store, setTimer: (fn) => timers.push(fn) })
    await first.ready
    const c = content(first, 3)
    c.port.postMessage({ kind: 'page', page: page('a') })
    c.port.postMessage({ kind: 'events', events: [ev(1), ev(2)], dropped: 0 })
    await flush()
    timers.splice(0).forEach((fn) => fn()) // the persist timer fires
    expect(store.data.get(3)?.events).toHaveLength(2)

    // The worker dies: a new hub, a panel connecting before the store is even loaded.
    const second = createHub({ store })
    const p = panel(second, 3)
    await second.ready
    await flush()
    expect(p.got[0]).toMatchObject({ kind: 'backlog', page: page('a'), connected: false })
    expect(p.got[0].events.map((e: HookEvent) => e.seq)).toEqual([1, 2])

    // The page's content script reconnects with the same document: the log continues.
    const again = content(second, 3)
    again.port.postMessage({ kind: 'page', page: page('a') })
    again.port.postMessage({ kind: 'events', events: [ev(3)], dropped: 0 })
    await flush()
    expect(second.log(3)?.events.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(p.got.find((m) => m.kind === 'page')).toMatchObject({ reset: false })
    expect(p.got.at(-1)).toMatchObject({ kind: 'events', events: [ev(3)] })
  })

  it('forgets a closed tab, in memory and in the store', async () => {
    const store = memoryStore()
    const hub = createHub({ store, persistDelayMs: 0 })
    const c = content(hub, 9)
    c.port.postMessage({ kind: 'page', page: page('a') })
    await new Promise((r) => setTimeout(r, 5))
    expect(store.data.has(9)).toBe(true)
    hub.forgetTab(9)
    expect(hub.log(9)).toBeUndefined()
    expect(store.data.has(9)).toBe(false)
  })

  it('never relays an inspector command (it carries a token) to the content script by default', async () => {
    const hub = createHub()
    const c = content(hub, 1)
    c.port.postMessage({ kind: 'page', page: page('a') })
    const p = panel(hub, 1)
    await flush()
    const target = { endpoint: 'https://app.test/api/socket', token: 'secret' }
    p.port.postMessage({ kind: 'inspector:send', id: 'r1', target, request: { type: 'snapshot' } })
    p.port.postMessage({ kind: 'inspector:listen', id: 'l1', target })
    await flush()
    expect(JSON.stringify(c.got)).not.toContain('secret')
    expect(p.got.at(-1)).toMatchObject({ kind: 'inspector:reply', id: 'r1', ok: false })
  })

  it('relays inspector commands to the tab content script and replies to its panels (relayInspector)', async () => {
    const hub = createHub({ relayInspector: true })
    const c = content(hub, 1)
    c.port.postMessage({ kind: 'page', page: page('a') })
    const p = panel(hub, 1)
    const other = panel(hub, 2)
    await flush()
    const target = { endpoint: 'https://app.test/api/socket', token: 't' }
    p.port.postMessage({ kind: 'inspector:send', id: 'r1', target, request: { type: 'snapshot' } })
    await flush()
    expect(c.got).toEqual([{ kind: 'inspector:send', id: 'r1', target, request: { type: 'snapshot' } }])
    c.port.postMessage({ kind: 'inspector:reply', id: 'r1', ok: true, value: { sessions: [] } })
    await flush()
    expect(p.got.at(-1)).toEqual({ kind: 'inspector:reply', id: 'r1', ok: true, value: { sessions: [] } })
    expect(other.kinds()).toEqual(['backlog'])

    // A panel that goes away stops its feeds in the page.
    p.port.postMessage({ kind: 'inspector:listen', id: 'l1', target })
    await flush()
    p.port.disconnect()
    await flush()
    expect(c.got.at(-1)).toEqual({ kind: 'inspector:unlisten', id: 'l1' })
  })

  it('wakes a sleeping content script for an inspector command, and fails it after a timeout', async () => {
    const woken: number[] = []
    const timers: (() => void)[] = []
    const hub = createHub({ relayInspector: true, wakeContent: (id) => woken.push(id), setTimer: (fn) => timers.push(fn), clearTimer: () => {} })
    const p = panel(hub, 4)
    await flush()
    const target = { endpoint: 'https://app.test/api/socket', token: 't' }
    p.port.postMessage({ kind: 'inspector:send', id: 'r1', target, request: { type: 'snapshot' } })
    p.port.postMessage({ kind: 'inspector:send', id: 'r2', target, request: { type: 'metrics' } })
    await flush()
    expect(woken).toEqual([4, 4])
    // r1 is delivered when the content script connects...
    const c = content(hub, 4)
    c.port.postMessage({ kind: 'page', page: page('a') })
    await flush()
    expect(c.got.map((m) => m.id)).toEqual(['r1', 'r2'])
    // ...and a command with nobody to run it fails on its timer.
    c.port.disconnect()
    await flush()
    p.port.postMessage({ kind: 'inspector:send', id: 'r3', target, request: { type: 'snapshot' } })
    await flush()
    timers.at(-1)!()
    await flush()
    expect(p.got.at(-1)).toMatchObject({ kind: 'inspector:reply', id: 'r3', ok: false, error: { code: 'NO_PAGE' } })
  })

  it('refuses a content port without a tab', async () => {
    const hub = createHub()
    const [client, server] = portPair<any, any>(CONTENT_PORT, {})
    let closed = false
    client.onDisconnect.addListener(() => (closed = true))
    hub.connect(server)
    await flush()
    expect(closed).toBe(true)
  })
})
