import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SocketServeError } from '../protocol/errors.js'
import type { AckResult, MessageBatch, MessageBatchReply } from '../protocol/wire.js'
import { SendQueue, type QueuedMessage, type SendQueueHost } from './send-queue.js'

/** A scripted host: each POST waits for the test to answer it. */
function fakeHost(overrides: Partial<SendQueueHost> = {}) {
  const posts: {
    body: MessageBatch
    answer: (acks: AckResult[], deferred?: MessageBatchReply['deferred']) => void
    fail: (err: unknown) => void
  }[] = []
  const lost: SocketServeError[] = []
  const refused: [string, string][] = []
  let ready = true
  const host: SendQueueHost = {
    ready: () => ready,
    send: (body: string, _batch: readonly QueuedMessage[]) =>
      new Promise<Partial<MessageBatchReply>>((resolve, fail) =>
        posts.push({ body: JSON.parse(body) as MessageBatch, answer: (acks, deferred) => resolve({ acks, deferred }), fail }),
      ),
    retryDelay: () => 100,
    sessionLost: (err) => lost.push(err),
    refused: (err, event) => refused.push([err.code, event]),
    maxBytes: () => 1_000_000,
    maxBatch: () => 1000,
    ...overrides,
  }
  return { host, posts, lost, refused, setReady: (r: boolean) => (ready = r) }
}

const tick = () => new Promise<void>((r) => queueMicrotask(r))
const flushPromises = async () => {
  for (let i = 0; i < 5; i++) await tick()
}

describe('SendQueue', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('coalesces emits of one tick into one POST, in order, with increasing ids', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    q.push('a', 1)
    q.push('b', { x: 2 })
    q.push('c', undefined)
    expect(posts).toHaveLength(0)
    await tick()
    expect(posts).toHaveLength(1)
    expect(posts[0].body.messages).toEqual([
      { id: 1, event: 'a', data: 1 },
      { id: 2, event: 'b', data: { x: 2 } },
      { id: 3, event: 'c' },
    ])
  })

  it('keeps one POST in flight; later emits travel together in the next one', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    q.push('a', 1)
    await tick()
    q.push('b', 2)
    await tick()
    q.push('c', 3)
    await tick()
    expect(posts).toHaveLength(1)
    posts[0].answer([])
    await flushPromises()
    expect(posts).toHaveLength(2)
    expect(posts[1].body.messages.map((m) => [m.id, m.event])).toEqual([[2, 'b'], [3, 'c']])
  })

  it('routes acks by id, including error acks', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    const seen: unknown[] = []
    q.push('a', 1, (err, data) => seen.push(['a', err?.code, data]))
    q.push('n', 0)
    q.push('b', 2, (err, data) => seen.push(['b', err?.code, data]))
    await tick()
    expect(posts[0].body.messages.map((m) => m.ack)).toEqual([true, undefined, true])
    posts[0].answer([{ id: 3, error: { code: 'HANDLER_ERROR', message: 'boom' } }, { id: 1, data: 'ok' }])
    await flushPromises()
    expect(seen).toEqual([['a', undefined, 'ok'], ['b', 'HANDLER_ERROR', undefined]])
  })

  it('retries a transiently failed batch with the same ids, never dropping or reordering', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    q.push('a', 1)
    q.push('b', 2)
    await tick()
    q.push('c', 3)
    posts[0].fail(new TypeError('fetch failed'))
    await flushPromises()
    expect(posts).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(100)
    expect(posts).toHaveLength(2)
    expect(posts[1].body).toEqual(posts[0].body)
    posts[1].fail(new SocketServeError('STORE_UNAVAILABLE', 'busy', { retryAfter: 2 }))
    await flushPromises()
    await vi.advanceTimersByTimeAsync(1999)
    expect(posts).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(posts[2].body).toEqual(posts[0].body)
    posts[2].answer([])
    await flushPromises()
    expect(posts[3].body.messages).toEqual([{ id: 3, event: 'c', data: 3 }])
  })

  it('rejects the acks of a refused batch and moves on', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    const errors: unknown[] = []
    q.push('big', 'x', (err) => errors.push(err?.code))
    await tick()
    q.push('next', 1)
    posts[0].fail(new SocketServeError('PAYLOAD_TOO_LARGE', 'too big'))
    await flushPromises()
    expect(errors).toEqual(['PAYLOAD_TOO_LARGE'])
    expect(posts[1].body.messages).toEqual([{ id: 2, event: 'next', data: 1 }])
  })

  it('buffers while not ready and flushes in order once ready', async () => {
    const { host, posts, setReady } = fakeHost()
    setReady(false)
    const q = new SendQueue(host)
    q.push('a', 1)
    await tick()
    q.push('b', 2)
    await tick()
    expect(posts).toHaveLength(0)
    expect(q.size).toBe(2)
    setReady(true)
    q.flush()
    expect(posts[0].body.messages.map((m) => m.event)).toEqual(['a', 'b'])
  })

  it('on a lost session, fails the posted batch (SESSION_LOST) and sends only never-posted messages, ids from 1', async () => {
    // The posted batch may have run before the session ended: sending it again could run a handler twice.
    const { host, posts, lost, refused } = fakeHost()
    const q = new SendQueue(host)
    const acks: unknown[] = []
    q.push('a', 1)
    q.push('b', 2)
    await tick()
    posts[0].answer([])
    await flushPromises()
    q.push('c', 3, (err) => acks.push(err?.code))
    q.push('n', 0)
    await tick()
    expect(posts[1].body.messages.map((m) => m.id)).toEqual([3, 4])
    q.push('d', 4)
    posts[1].fail(new SocketServeError('SESSION_NOT_FOUND', 'gone'))
    await flushPromises()
    expect(lost).toHaveLength(1)
    q.sessionLost()
    expect(acks).toEqual(['SESSION_LOST'])
    expect(refused).toEqual([['SESSION_LOST', 'n']])
    q.flush()
    expect(posts).toHaveLength(3)
    expect(posts[2].body.messages).toEqual([{ id: 1, event: 'd', data: 4 }])
  })

  it('deferred: messages from `from` on did not run; they go again, same ids, first in line, after retryAfter', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    const acks: unknown[] = []
    for (let i = 1; i <= 4; i++) q.push('e', i, (err, data) => acks.push([i, err?.code, data]))
    await tick()
    q.push('later', 5)
    posts[0].answer([{ id: 1, data: 'one' }, { id: 2, data: 'two' }], { from: 3, retryAfter: 2 })
    await flushPromises()
    expect(acks).toEqual([[1, undefined, 'one'], [2, undefined, 'two']])
    await vi.advanceTimersByTimeAsync(1999)
    expect(posts).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(posts[1].body.messages).toEqual([
      { id: 3, event: 'e', data: 3, ack: true },
      { id: 4, event: 'e', data: 4, ack: true },
    ])
    posts[1].answer([{ id: 3, data: 'three' }, { id: 4, data: 'four' }])
    await flushPromises()
    expect(acks.slice(2)).toEqual([[3, undefined, 'three'], [4, undefined, 'four']])
    expect(posts[2].body.messages).toEqual([{ id: 5, event: 'later', data: 5 }])
  })

  it('a deferred remainder that never ran goes to a new session rather than failing', async () => {
    const { host, posts, refused } = fakeHost()
    const q = new SendQueue(host)
    q.push('a', 1)
    q.push('b', 2)
    await tick()
    posts[0].answer([], { from: 2, retryAfter: 5 })
    await flushPromises()
    q.sessionLost()
    q.flush()
    expect(refused).toEqual([])
    expect(posts[1].body.messages).toEqual([{ id: 1, event: 'b', data: 2 }])
  })

  it('splits a burst by count: at most maxBatch messages per POST, in order', async () => {
    const { host, posts } = fakeHost({ maxBatch: () => 1000 })
    const q = new SendQueue(host)
    for (let i = 0; i < 2500; i++) q.push('n', i)
    await tick()
    const sizes: number[] = []
    const seen: number[] = []
    for (let i = 0; i < 5 && posts[i]; i++) {
      sizes.push(posts[i].body.messages.length)
      seen.push(...posts[i].body.messages.map((m) => m.data as number))
      posts[i].answer([])
      await flushPromises()
    }
    expect(sizes).toEqual([1000, 1000, 500])
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, i) => i))
  })

  it('a refused message without ack goes to refused(); with ack, to its ack', async () => {
    const { host, posts, refused } = fakeHost()
    const q = new SendQueue(host)
    const acks: unknown[] = []
    q.push('quiet', 'x')
    q.push('loud', 'y', (err) => acks.push(err?.code))
    await tick()
    posts[0].fail(new SocketServeError('PAYLOAD_TOO_LARGE', 'too big'))
    await flushPromises()
    expect(refused).toEqual([['PAYLOAD_TOO_LARGE', 'quiet']])
    expect(acks).toEqual(['PAYLOAD_TOO_LARGE'])
  })

  it('splits a tick of emits across POSTs that fit maxPayload, in order', async () => {
    const { host, posts } = fakeHost({ maxBytes: () => 100 })
    const q = new SendQueue(host)
    for (let i = 0; i < 5; i++) q.push('e', 'x'.repeat(30))
    await tick()
    const ids: number[][] = []
    for (let i = 0; i < 5 && posts[i]; i++) {
      ids.push(posts[i].body.messages.map((m) => m.id))
      posts[i].answer([])
      await flushPromises()
    }
    expect(ids.flat()).toEqual([1, 2, 3, 4, 5])
    expect(ids.length).toBeGreaterThan(1)
    expect(Math.max(...ids.map((b) => b.length))).toBeLessThanOrEqual(2)
  })

  it('clear() rejects every waiting ack and ignores the late answer', async () => {
    const { host, posts } = fakeHost()
    const q = new SendQueue(host)
    const seen: unknown[] = []
    q.push('a', 1, (err) => seen.push(err?.code))
    await tick()
    q.push('b', 2, (err) => seen.push(err?.code))
    q.clear(new SocketServeError('DISCONNECTED', 'bye'))
    posts[0].answer([{ id: 1, data: 'late' }])
    await flushPromises()
    expect(seen).toEqual(['DISCONNECTED', 'DISCONNECTED'])
    expect(q.size).toBe(0)
  })

  it('throws at push time for a payload that cannot be serialized', () => {
    const { host } = fakeHost()
    const q = new SendQueue(host)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => q.push('a', cyclic)).toThrow(TypeError)
    expect(q.size).toBe(0)
  })
})
