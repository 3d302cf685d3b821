import { describe, expect, it } from 'vitest'
import { createContentRelay, type InspectorClient } from './content-relay.js'
import { portPair, type PortLike } from './port.js'
import { CONTENT_PORT, type HookEvent } from './protocol.js'

const flush = () => new Promise((r) => setTimeout(r, 0))
const ev = (seq: number): HookEvent => ({ seq, type: 'ack', payload: { socket: 1 } })
const page = { docId: 'd1', url: 'https://app.test/', time: 1 }

/** A fake worker: every connect() opens a new pair and records what arrives on it. */
function worker() {
  const ports: { server: PortLike<any, any>; got: any[] }[] = []
  return {
    ports,
    connect: () => {
      const [client, server] = portPair<any, any>(CONTENT_PORT, { tab: { id: 1 } })
      const entry = { server, got: [] as any[] }
      server.onMessage.addListener((m) => entry.got.push(m))
      ports.push(entry)
      return client as PortLike<any, any>
    },
  }
}

describe('content relay', () => {
  it('connects lazily, announcing the page first', async () => {
    const w = worker()
    const relay = createContentRelay({ page, connect: w.connect })
    expect(w.ports).toHaveLength(0) // a page without socket-serve never opens a port
    relay.push([ev(1)], 0)
    await flush()
    expect(w.ports[0].got).toEqual([{ kind: 'page', page }, { kind: 'events', events: [ev(1)], dropped: 0 }])
  })

  it('reconnects after the worker restarts and delivers what it could not send', async () => {
    const w = worker()
    const timers: (() => void)[] = []
    const relay = createContentRelay({ page, connect: w.connect, setTimer: (fn) => timers.push(fn) })
    relay.push([ev(1)], 0)
    await flush()
    w.ports[0].server.disconnect() // the worker was stopped
    await flush()
    expect(relay.connected).toBe(false)
    relay.push([ev(2)], 0) // reconnects at once: the push wakes the worker
    await flush()
    expect(w.ports).toHaveLength(2)
    expect(w.ports[1].got).toEqual([{ kind: 'page', page }, { kind: 'events', events: [ev(2)], dropped: 0 }])
  })

  it('keeps a bounded backlog while the worker cannot be reached, and gives up once the extension is gone', async () => {
    const timers: (() => void)[] = []
    let calls = 0
    const relay = createContentRelay({
      page,
      maxUnsent: 2,
      setTimer: (fn) => timers.push(fn),
      connect: () => {
        calls++
        throw new Error('Extension context invalidated.')
      },
    })
    relay.push([ev(1), ev(2), ev(3)], 1)
    expect(relay.dead).toBe(true)
    relay.push([ev(4)], 0)
    expect(calls).toBe(1)
    expect(timers).toHaveLength(0)
  })

  it('forwards batches as they came (one port message each), bounded while the worker is away', async () => {
    const w = worker()
    const timers: (() => void)[] = []
    let refuse = true
    const relay = createContentRelay({
      page,
      maxUnsent: 4,
      setTimer: (fn) => timers.push(fn),
      connect: () => {
        // A worker that is starting: the first post fails, so nothing is delivered yet.
        const port = w.connect()
        if (refuse) port.disconnect()
        return port
      },
    })
    relay.push([ev(1), ev(2)], 0)
    relay.push([ev(3), ev(4), ev(5)], 1)
    relay.push([ev(6)], 0)
    expect(relay.connected).toBe(false)
    refuse = false
    timers.shift()!()
    await flush()
    const got = w.ports.at(-1)!.got.filter((m) => m.kind === 'events')
    // 6 events over a bound of 4: the 2 oldest dropped (plus the hook's 1), batches kept apart
    expect(got).toEqual([
      { kind: 'events', events: [ev(3), ev(4), ev(5)], dropped: 3 },
      { kind: 'events', events: [ev(6)], dropped: 0 },
    ])
  })

  it('runs inspector commands through the client for the target and stops feeds on disconnect', async () => {
    const w = worker()
    const stopped: string[] = []
    const targets: string[] = []
    const client = (endpoint: string): InspectorClient => ({
      send: async (request) => (request.type === 'bad' ? Promise.reject(Object.assign(new Error('nope'), { code: 'UNAUTHORIZED', status: 401 })) : { endpoint, request }),
      listen: (onEvent, onStatus) => {
        onStatus?.('open')
        onEvent({ type: 'connect', sid: 's1' })
        return () => stopped.push(endpoint)
      },
    })
    const relay = createContentRelay({ page, connect: w.connect, inspector: (t) => (targets.push(t.endpoint), client(t.endpoint)) })
    relay.wake()
    await flush()
    const target = { endpoint: 'https://app.test/api/socket', token: 't' }
    const server = w.ports[0].server
    server.postMessage({ kind: 'inspector:send', id: 'a', target, request: { type: 'snapshot' } })
    server.postMessage({ kind: 'inspector:send', id: 'b', target, request: { type: 'bad' } })
    server.postMessage({ kind: 'inspector:listen', id: 'l', target })
    await flush()
    await flush()
    const got = w.ports[0].got.slice(1)
    expect(got).toContainEqual({ kind: 'inspector:reply', id: 'a', ok: true, value: { endpoint: target.endpoint, request: { type: 'snapshot' } } })
    expect(got).toContainEqual({ kind: 'inspector:reply', id: 'b', ok: false, error: { code: 'UNAUTHORIZED', message: 'nope', status: 401 } })
    expect(got).toContainEqual({ kind: 'inspector:status', id: 'l', status: 'open' })
    expect(got).toContainEqual({ kind: 'inspector:event', id: 'l', event: { type: 'connect', sid: 's1' } })
    expect(targets).toEqual([target.endpoint]) // one client per target
    server.disconnect()
    await flush()
    expect(stopped).toEqual([target.endpoint])
  })
})
