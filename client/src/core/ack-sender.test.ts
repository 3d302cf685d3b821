import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SocketServeError } from '../protocol/errors.js'
import { AckSender } from './ack-sender.js'

describe('AckSender', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('coalesces acks of one tick into one POST and retries it on a network failure', async () => {
    const bodies: string[] = []
    let fail = 1
    const sender = new AckSender({
      post: async (body) => {
        bodies.push(body)
        if (fail-- > 0) throw new TypeError('fetch failed')
      },
      retryDelay: () => 50,
    })
    sender.add('a.1', 'pong')
    sender.add('a.2', undefined)
    await vi.advanceTimersByTimeAsync(0)
    expect(bodies).toEqual(['{"acks":[{"id":"a.1","data":"pong"},{"id":"a.2"}]}'])
    await vi.advanceTimersByTimeAsync(50)
    expect(bodies).toHaveLength(2)
    expect(bodies[1]).toBe(bodies[0])
  })

  it('drops a refused ack and anything pending after clear()', async () => {
    const bodies: string[] = []
    const sender = new AckSender({
      post: async (body) => {
        bodies.push(body)
        throw new SocketServeError('SESSION_NOT_FOUND', 'gone')
      },
      retryDelay: () => 50,
    })
    sender.add('a.1', 1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(bodies).toHaveLength(1)
    sender.add('a.2', 2)
    sender.clear()
    await vi.advanceTimersByTimeAsync(1000)
    expect(bodies).toHaveLength(1)
  })
})
