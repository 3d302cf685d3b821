import { describe, expect, it } from 'vitest'
import { createPageHook } from './page-hook.js'
import { HOOK_SOURCE, type PageMessage } from './protocol.js'

const state = (socket: number, to: string, extra: Record<string, unknown> = {}) => ({ socket, time: 1, from: 'x', to, ...extra })

describe('page hook', () => {
  /** A hook whose batch window is run by hand (`tick()`), as the 50 ms timer would. */
  const manual = (extra: { maxPending?: number; now?: () => number; post?: (m: PageMessage) => void } = {}) => {
    const posted: any[] = []
    let due: (() => void) | undefined
    let scheduled = 0
    const hook = createPageHook({
      post: extra.post ?? ((m) => posted.push(m)),
      now: extra.now,
      maxPending: extra.maxPending,
      schedule: (fn) => {
        scheduled++
        due = fn
      },
    })
    const tick = () => {
      const fn = due
      due = undefined
      fn?.()
    }
    return { hook, posted, tick, scheduled: () => scheduled }
  }

  it('buffers until the relay is ready, then flushes once and posts batches', () => {
    const { hook, posted, tick, scheduled } = manual({ now: () => 1000 })
    hook.emit('state', state(1, 'connecting'))
    hook.emit('frame:in', { socket: 1, bytes: 3, frame: { e: 'a', d: 1 } })
    expect(posted).toEqual([])
    expect(scheduled()).toBe(0) // no timer before a relay listens
    hook.relayReady()
    hook.relayReady() // idempotent
    expect(posted).toHaveLength(1)
    expect(posted[0]).toMatchObject({ source: HOOK_SOURCE, kind: 'events', dropped: 0 })
    expect(posted[0].events.map((e: any) => e.seq)).toEqual([1, 2])
    hook.emit('ack', { socket: 1, event: 'a', latency: 2 })
    expect(posted).toHaveLength(1) // waits for the batch window
    tick()
    expect(posted).toHaveLength(2)
    expect(posted[1].events).toEqual([{ seq: 3, type: 'ack', payload: { socket: 1, event: 'a', latency: 2, time: 1000 } }])
  })

  it('posts one message per batch window however many frames it holds, in page order', () => {
    const { hook, posted, tick, scheduled } = manual()
    hook.relayReady()
    for (let i = 0; i < 1000; i++) hook.emit('frame:in', { socket: 1, bytes: 1, frame: { e: 'tick', d: i } })
    expect(scheduled()).toBe(1)
    tick()
    for (let i = 0; i < 50; i++) hook.emit('frame:in', { socket: 1, bytes: 1, frame: { e: 'tick', d: 1000 + i } })
    tick()
    tick() // nothing new: nothing posted
    expect(posted).toHaveLength(2)
    expect(scheduled()).toBe(2)
    const all = posted.flatMap((m) => m.events)
    expect(all.map((e: any) => e.payload.frame.d)).toEqual(Array.from({ length: 1050 }, (_, i) => i))
    expect(all.map((e: any) => e.seq)).toEqual(Array.from({ length: 1050 }, (_, i) => i + 1))
  })

  it('copies a frame when it happens: the app mutating it before the batch is posted changes nothing', () => {
    const { hook, posted, tick } = manual()
    hook.relayReady()
    const frame = { e: 'chat', d: { text: 'hi' } }
    hook.emit('frame:in', { socket: 1, bytes: 1, frame })
    frame.d.text = 'mutated by a listener'
    tick()
    expect(posted[0].events[0].payload.frame.d.text).toBe('hi')
  })

  it('is bounded between posts too: over the bound the oldest are dropped and counted', () => {
    const { hook, posted, tick } = manual({ maxPending: 100 })
    hook.relayReady()
    for (let i = 0; i < 250; i++) hook.emit('frame:in', { socket: 1, bytes: 1, frame: { e: 'tick', d: i } })
    tick()
    expect(posted[0].dropped).toBe(150)
    expect(posted[0].events.map((e: any) => e.payload.frame.d)).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i))
    expect(hook.summary().dropped).toBe(150)
  })

  it('stamps each event with the page clock when it happens: a buffered ack error keeps its time when the panel opens later', () => {
    let clock = 5_000
    const { hook, posted, tick } = manual({ now: () => clock })
    hook.emit('ack', { socket: 1, event: 'save', direction: 'client', latency: 10_000, error: 'ACK_TIMEOUT' })
    clock = 65_000 // the panel opens a minute later
    hook.relayReady()
    expect(posted[0].events[0].payload.time).toBe(5_000)
    // a time the SDK gave is kept
    hook.emit('frame:in', { socket: 1, time: 42, bytes: 1, frame: { e: 'x' } })
    tick()
    expect(posted[1].events[0].payload.time).toBe(42)
  })

  it('is bounded before the relay is ready: oldest dropped, reported once as a delta', () => {
    const { hook, posted, tick } = manual({ maxPending: 3 })
    for (let i = 0; i < 5; i++) hook.emit('frame:out', { socket: 1, messages: [{ id: i, event: 'e' }] })
    hook.relayReady()
    expect(posted[0].events.map((e: any) => e.payload.messages[0].id)).toEqual([2, 3, 4])
    expect(posted[0].dropped).toBe(2)
    hook.emit('ack', { socket: 1 })
    tick()
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
    const { hook, posted, tick } = manual()
    hook.relayReady()
    hook.emit('nope' as any, { socket: 1 })
    hook.emit('ack', null as any)
    // structured clone refuses a function: the JSON image goes through
    hook.emit('frame:in', { socket: 1, frame: { e: 'x', d: { f: () => 1, n: 1 } } })
    tick()
    expect(posted).toHaveLength(1)
    expect(posted[0].events).toHaveLength(1)
    expect(posted[0].events[0].payload.frame.d).toEqual({ n: 1 })
  })
})

describe('page hook under a flood of large frames', () => {
  it('bounds its buffer in bytes and posts in slices', () => {
    const posted: any[] = []
    let due: (() => void) | undefined
    const hook = createPageHook({ post: (m) => posted.push(m), schedule: (fn) => (due = fn), maxPendingBytes: 10_000, maxPostBytes: 3_000 })
    hook.relayReady()
    const chunk = 'x'.repeat(1000)
    for (let n = 1; n <= 100; n++) hook.emit('frame:in', { socket: 1, n, data: chunk })
    due!()
    const events = posted.flatMap((m) => m.events)
    // ~1,060 bytes each (JSON + envelope): 9 fit in 10,000 bytes, 2 per 3,000-byte post
    expect(events.map((e: any) => e.payload.n)).toEqual([92, 93, 94, 95, 96, 97, 98, 99, 100])
    expect(posted.map((m) => m.events.length)).toEqual([2, 2, 2, 2, 1])
    expect(posted.reduce((a, m) => a + m.dropped, 0)).toBe(91)
  })
})
