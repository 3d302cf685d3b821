import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'

/**
 * Handlers start in emit order; a slow handler delays no other handler's start (DESIGN §3). A client
 * with several POSTs in flight (the default) says which messages it had answered (`answered`): the
 * server claims a message only once its predecessor has started, however the POSTs arrive. The
 * assertions are on the order of events, not on times (CI machines run loaded).
 */
describe('order across POSTs in flight', () => {
  let redis: RedisServer
  let server: TestServer
  const started: string[] = []
  beforeAll(async () => {
    redis = await startRedis()
    server = await startServer({ store: redisStore(redis.url) }, (io) => {
      io.onMessage('slow', async (_s, n: number) => {
        started.push(`slow ${n}`)
        await sleep(1500)
        return n
      })
      io.onMessage('fast', (_s, n: number) => {
        started.push(`fast ${n}`)
        return n
      })
      io.onMessage('plain', (_s, n: number) => {
        started.push(`plain ${n}`)
      })
      // Slow until the last later message has started (then a second more for its answer to travel).
      io.onMessage('slowUntil', async (_s, n: number) => {
        started.push(`slow ${n}`)
        await until(() => started.includes('fast 15'), 'fast 15 to start', 20_000)
        await sleep(1000)
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
  })
  it('the SDK with the defaults: a slow acked handler delays no later emit (they run and are answered while it runs); handlers start in emit order', async () => {
    started.length = 0
    const socket = connect(server.url)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const acks: string[] = []
    const slow = socket.emitWithAck('slowUntil', 10, { timeout: 30_000 }).then((n) => void acks.push(`slow ${n}`))
    await sleep(20)
    const fast: Promise<void>[] = []
    for (let n = 11; n <= 15; n++) {
      // With and without acks, each in a POST of its own (up to four in flight).
      if (n % 2) fast.push(socket.emitWithAck('fast', n, { timeout: 20_000 }).then((m) => void acks.push(`fast ${m}`)))
      else socket.emit('plain', n)
      await sleep(20)
    }
    await Promise.all([slow, ...fast])
    socket.disconnect()
    expect(started).toEqual(['slow 10', 'fast 11', 'plain 12', 'fast 13', 'plain 14', 'fast 15'])
    expect(acks).toEqual(['fast 11', 'fast 13', 'fast 15', 'slow 10'])
  })
})
