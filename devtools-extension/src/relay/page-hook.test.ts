import { describe, expect, it } from 'vitest'
import { createPageHook } from './page-hook.js'
import { HOOK_SOURCE, type PageMessage } from './protocol.js'

const state = (socket: number, to: string, extra: Record<string, unknown> = {}) => ({ socket, time: 1, from: 'x', to, ...extra })

describe('page hook', () => {
  it('buffers until the relay is ready, then flushes once and posts live', () => {
    const posted: PageMessage[] = []
    const hook = createPageHook({ post: (m) => posted.push(m), now: () => 1000 })
    hook.emit('state', state(1, 'connecting'))
    hook.emit('frame:in', { socket: 1, bytes: 3, frame: { e: 'a', d: 1 } })
    expect(posted).toEqual([])
    hook.relayReady()
    hook.relayReady() // idempotent
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ source: HOOK_SOURCE, kind: 'events', dropped: 0 })
    expect((posted[0] as any).events.map((e: any) => e.seq)).toEqual([1, 2])
    hook.emit('ack', { socket: 1, event: 'a', latency: 2 })
    expect(posted).toHaveLength(2)
    expect((posted[1] as any).events).toEqual([{ seq: 3, type: 'ack', payload: { socket: 1, event: 'a', latency: 2, time: 1000 } }])
  })

  it('stamps each event with the page clock when it happens: a buffered ack error keeps its time when the panel opens later', () => {
    const posted: any[] = []
    let clock = 5_000
    const hook = createPageHook({ post: (m) => posted.push(m), now: () => clock })
    hook.emit('ack', { socket: 1, event: 'save', direction: 'client', latency: 10_000, error: 'ACK_TIMEOUT' })
    clock = 65_000 // the panel opens a minute later
    hook.relayReady()
    expect(posted[0].events[0].payload.time).toBe(5_000)
    // a time the SDK gave is kept
    hook.emit('frame:in', { socket: 1, time: 42, bytes: 1, frame: { e: 'x' } })
    expect(posted[1].events[0].payload.time).toBe(42)
  })

  it('is bounded before the relay is ready: oldest dropped, reported once as a delta', () => {
    const posted: any[] = []
    const hook = createPageHook({ post: (m) => posted.push(m), maxPending: 3 })
    for (let i = 0; i < 5; i++) hook.emit('frame:out', { socket: 1, messages: [{ id: i, event: 'e' }] })
    hook.relayReady()
    expect(posted[0].events.map((e: any) => e.payload.messages[0].id)).toEqual([2, 3, 4])
    expect(posted[0].dropped).toBe(2)
    hook.emit('ack', { socket: 1 })
    expect(posted[1].dropped).toBe(0)
    expect(hook.summary().dropped).toBe(2)
  })

  it('records each socket and its endpoint from the SDK state reports', () => {
    const hook = createPageHook({ post: () => {} })
    hook.emit('state', state(1, 'connecting', { url: 'https://app.test/api/socket/connect?room=1' }))
    hook.emit('state', state(1, 'connected', { sid: 's1', transport: 'sse' }))
    hook.emit('state', state(2, 'connecting', { url: 'https://other.test/rt/connect' }))
    expect(hook.summary().sockets).toEqual([
      { socket: 1, url: 'https://app.test/api/socket/connect?room=1', endpoint: 'https://app.test/api/socket', state: 'connected', sid: 's1', transport: 'sse' },
      { socket: 2, url: 'https://other.test/rt/connect', endpoint: 'https://other.test/rt', state: 'connecting' },
    ])
  })

  it('ignores unknown types and non-object payloads, and survives uncloneable payloads', () => {
    const posted: any[] = []
    let first = true
    const hook = createPageHook({
      post: (m) => {
        // The first post refuses (as structured clone would a function); the JSON image goes through.
        if (first) {
          first = false
          throw new DOMException('could not be cloned', 'DataCloneError')
        }
        posted.push(m)
      },
    })
    hook.relayReady()
    hook.emit('nope' as any, { socket: 1 })
    hook.emit('ack', null as any)
    hook.emit('frame:in', { socket: 1, frame: { e: 'x', d: { f: () => 1, n: 1 } } })
    expect(posted).toHaveLength(1)
    expect(posted[0].events[0].payload.frame.d).toEqual({ n: 1 })
  })
})
