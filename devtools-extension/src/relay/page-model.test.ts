import { describe, expect, it } from 'vitest'
import { PageModel, percentile } from './page-model.js'
import type { HookEvent } from './protocol.js'

let seq = 0
const e = (type: HookEvent['type'], payload: Record<string, unknown>): HookEvent => ({ seq: ++seq, type, payload: { socket: 1, time: 1000 + seq, ...payload } })

describe('page model', () => {
  it('counts sent and received events, one row per message of a batch', () => {
    const m = new PageModel()
    m.apply([
      e('state', { from: 'disconnected', to: 'connecting', url: 'https://a.test/api/socket/connect' }),
      e('frame:in', { bytes: 40, frame: { c: 'open', sid: 's', recovered: false, pingInterval: 1 } }),
      e('state', { from: 'connecting', to: 'connected', sid: 's', transport: 'sse' }),
      e('frame:out', { bytes: 100, messages: [{ id: 1, event: 'chat', ack: true }, { id: 2, event: 'chat', ack: false }] }),
      e('frame:in', { bytes: 30, id: 'd=1', frame: { e: 'chat', d: { text: 'hi' } } }),
    ])
    expect(m.eventCounts()).toEqual([{ event: 'chat', sent: 2, received: 1, bytesIn: 30, bytesOut: 100 }])
    expect(m.frames.toArray().map((f) => `${f.direction}:${f.event}`)).toEqual(['in:[open]', 'out:chat', 'out:chat', 'in:chat'])
    expect(m.frames.at(3)!.data).toEqual({ text: 'hi' })
    expect(m.frames.at(1)!.data).toBeUndefined() // the SDK does not report outgoing payloads (yet)
    m.apply([e('frame:out', { bytes: 20, messages: [{ id: 3, event: 'chat', json: '{"text":"yo"}' }] })])
    expect(m.frames.last()!.data).toEqual({ text: 'yo' })
    const c = m.connections.get(1)!
    expect(c).toMatchObject({ state: 'connected', sid: 's', transport: 'sse', endpoint: 'https://a.test/api/socket', reconnects: 0 })
    expect(c.timeline.map((t) => t.to)).toEqual(['connecting', 'connected'])
    expect(m.endpoints()).toEqual(['https://a.test/api/socket'])
  })

  it('computes ack latency per event and direction; failures are errors, not samples', () => {
    const m = new PageModel()
    for (const latency of [1, 2, 3, 4, 100]) m.apply([e('ack', { direction: 'client', event: 'chat', latency })])
    m.apply([e('ack', { direction: 'client', event: 'chat', latency: 5000, error: 'ACK_TIMEOUT' })])
    m.apply([e('ack', { direction: 'server', event: 'ping', latency: 7 })])
    expect(m.ackStats()).toEqual([
      // the server's method: upper bound of the bucket holding the rank (3 ms reads ≤ 5 ms)
      { event: 'chat', direction: 'client', count: 6, errors: 1, p50: 5, p95: 100, max: 100 },
      { event: 'ping', direction: 'server', count: 1, errors: 0, p50: 10, p95: 10, max: 7 },
    ])
    expect(m.problems.map((p) => p.kind)).toEqual(['ack-error'])
  })

  it('notes reconnects, failed connects and server disconnects', () => {
    const m = new PageModel()
    m.apply([
      e('state', { from: 'disconnected', to: 'connecting' }),
      e('state', { from: 'connecting', to: 'connected' }),
      e('state', { from: 'connected', to: 'connecting' }),
      e('state', { from: 'connecting', to: 'disconnected' }),
      e('frame:in', { frame: { c: 'disconnect', reason: 'io server disconnect' } }),
    ])
    expect(m.connections.get(1)!.reconnects).toBe(1)
    expect(m.problems.map((p) => p.kind)).toEqual(['reconnect', 'connect-failed', 'server-disconnect'])
  })

  it('pauses frames and acks but follows states; bounds its lists; clears and resets', () => {
    const m = new PageModel({ maxFrames: 2 })
    m.paused = true
    m.apply([e('frame:in', { frame: { e: 'a' } }), e('state', { from: 'disconnected', to: 'connecting' })])
    expect(m.frames.size).toBe(0)
    expect(m.skipped).toBe(1)
    expect(m.connections.get(1)!.state).toBe('connecting')
    m.paused = false
    m.apply([1, 2, 3].map(() => e('frame:in', { frame: { e: 'a' } })), 4)
    expect(m.frames.size).toBe(2)
    expect(m.frames.total).toBe(3)
    expect(m.counts.get('a')!.received).toBe(3)
    expect(m.dropped).toBe(4)
    m.clear()
    expect([m.frames.size, m.counts.size, m.connections.size]).toEqual([0, 0, 1])
    m.reset()
    expect(m.connections.size).toBe(0)
    expect(JSON.parse(JSON.stringify(m))).toMatchObject({ events: [], connections: [] })
  })

  it('percentile is nearest-rank', () => {
    expect(percentile([], 50)).toBe(0)
    expect(percentile([5], 95)).toBe(5)
    expect(percentile([1, 2, 3, 4], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 95)).toBe(4)
  })
})
