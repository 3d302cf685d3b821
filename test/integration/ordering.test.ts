import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, type TestServer } from '../support/server.js'

/**
 * Handlers start in emit order; a slow handler delays no other handler's start (DESIGN §3). A client
 * with several POSTs in flight says which messages it had answered (`answered`): the server claims
 * a message only after its predecessor, however the POSTs arrive.
 */
describe('order across POSTs in flight', () => {
  let redis: RedisServer
  let server: TestServer
  const started: string[] = []
  beforeAll(async () => {
    redis = await startRedis()
    server = await startServer({ store: redisStore(redis.url), maxInFlight: 4 }, (io) => {
      io.onMessage('slow', async (_s, n: number) => {
        started.push(`slow ${n}`)
        await sleep(1500)
        return n
      })
      io.onMessage('fast', (_s, n: number) => {
        started.push(`fast ${n}`)
        return n
      })
    })
  })
  afterAll(async () => {
    await server?.close()
    await redis?.stop()
  })

  const post = (s: RawSession, body: unknown) =>
    fetch(`${server.url}/message`, { method: 'POST', headers: { 'content-type': 'application/json', ...sessionHeaders(s) }, body: JSON.stringify(body) })

  it('a later POST that arrives first waits for its predecessor to start, then answers without waiting for the slow handler', async () => {
    const s = await rawConnect(server.url)
    const t0 = Date.now()
    const second = post(s, { answered: 0, messages: [{ id: 2, event: 'fast', data: 2, ack: true }] }).then(async (r) => ({ at: Date.now() - t0, body: await r.json() }))
    await sleep(100)
    const first = post(s, { answered: 0, messages: [{ id: 1, event: 'slow', data: 1, ack: true }] }).then(async (r) => ({ at: Date.now() - t0, body: await r.json() }))
    const [b, a] = await Promise.all([second, first])
    expect(started).toEqual(['slow 1', 'fast 2'])
    expect(b.body).toEqual({ acks: [{ id: 2, data: 2 }] })
    expect(a.body).toEqual({ acks: [{ id: 1, data: 1 }] })
    expect(b.at).toBeLessThan(a.at) // the fast message was not held behind the slow one
    expect(b.at).toBeLessThan(1000)
  })
  it('the SDK with serve({ maxInFlight: 4 }): a slow acked handler (1.5 s) delays no later emit; handlers still start in emit order', async () => {
    started.length = 0
    const socket = connect(server.url)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const t0 = Date.now()
    const slow = socket.emitWithAck('slow', 10, { timeout: 10_000 }).then(() => Date.now() - t0)
    await sleep(20)
    const fast: Promise<number>[] = []
    for (let n = 11; n <= 15; n++) {
      fast.push(socket.emitWithAck('fast', n).then(() => Date.now() - t0))
      await sleep(20)
    }
    const fastAt = await Promise.all(fast)
    const slowAt = await slow
    socket.disconnect()
    expect(started).toEqual(['slow 10', 'fast 11', 'fast 12', 'fast 13', 'fast 14', 'fast 15'])
    expect(Math.max(...fastAt)).toBeLessThan(1000)
    expect(slowAt).toBeGreaterThanOrEqual(1500)
  })
})
