import { describe, expect, it } from 'vitest'
import { createPanelLink } from './panel-link.js'
import { portPair, type PortLike } from './port.js'
import { PANEL_PORT, type HookEvent } from './protocol.js'

const flush = () => new Promise((r) => setTimeout(r, 0))
const ev = (seq: number): HookEvent => ({ seq, type: 'ack', payload: { socket: 1 } })
const page = (docId: string) => ({ docId, url: 'https://app.test/', time: 1 })

function setup() {
  const servers: { port: PortLike<any, any>; got: any[] }[] = []
  const shown: number[] = []
  const resets: (string | undefined)[] = []
  const timers: (() => void)[] = []
  const link = createPanelLink({
    tabId: 5,
    connect: () => {
      const [client, server] = portPair<any, any>(PANEL_PORT)
      const entry = { port: server as PortLike<any, any>, got: [] as any[] }
      server.onMessage.addListener((m) => entry.got.push(m))
      servers.push(entry)
      return client as PortLike<any, any>
    },
    reset: (p) => resets.push(p?.docId),
    events: (events) => shown.push(...events.map((e) => e.seq)),
    setTimer: (fn) => timers.push(fn),
  })
  return { link, servers, shown, resets, timers }
}

describe('panel link', () => {
  it('asks for its tab and shows the backlog, then live events', async () => {
    const s = setup()
    await flush()
    expect(s.servers[0].got).toEqual([{ kind: 'init', tabId: 5 }])
    s.servers[0].port.postMessage({ kind: 'backlog', page: page('a'), events: [ev(1), ev(2)], dropped: 0, connected: true })
    s.servers[0].port.postMessage({ kind: 'events', events: [ev(3)], dropped: 0 })
    await flush()
    expect(s.resets).toEqual(['a'])
    expect(s.shown).toEqual([1, 2, 3])
  })

  it('reconnects after a worker restart without showing an event twice', async () => {
    const s = setup()
    const relisten: number[] = []
    s.link.onReconnect(() => relisten.push(1))
    s.servers[0].port.postMessage({ kind: 'backlog', page: page('a'), events: [ev(1), ev(2)], dropped: 0, connected: true })
    await flush()
    s.servers[0].port.disconnect() // the worker stops
    await flush()
    expect(s.link.connected).toBe(false)
    s.link.send({ kind: 'inspector:send', id: 'q', target: { endpoint: 'e', token: 't' }, request: { type: 'snapshot' } })
    s.timers.shift()!() // retry
    await flush()
    expect(s.servers[1].got).toEqual([{ kind: 'init', tabId: 5 }, { kind: 'inspector:send', id: 'q', target: { endpoint: 'e', token: 't' }, request: { type: 'snapshot' } }])
    expect(relisten).toEqual([1])
    // The restarted worker's backlog repeats 1..2 and adds 3.
    s.servers[1].port.postMessage({ kind: 'backlog', page: page('a'), events: [ev(1), ev(2), ev(3)], dropped: 0, connected: true })
    await flush()
    expect(s.shown).toEqual([1, 2, 3])
    expect(s.resets).toEqual(['a'])
  })

  it('resets on a new document', async () => {
    const s = setup()
    s.servers[0].port.postMessage({ kind: 'backlog', page: page('a'), events: [ev(1), ev(2)], dropped: 0, connected: true })
    s.servers[0].port.postMessage({ kind: 'page', page: page('b'), reset: true })
    s.servers[0].port.postMessage({ kind: 'events', events: [ev(1)], dropped: 0 })
    await flush()
    expect(s.resets).toEqual(['a', 'b'])
    expect(s.shown).toEqual([1, 2, 1])
  })
})
