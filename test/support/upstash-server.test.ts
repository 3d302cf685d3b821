// The test REST server, checked against the official client: if @upstash/redis reads its answers
// right, the Upstash store is tested against the protocol as the real service speaks it.
import { Redis } from '@upstash/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type RedisServer } from './redis.js'
import { until } from './server.js'
import { startUpstashServer, type UpstashServer } from './upstash-server.js'

describe('upstash test server, driven by @upstash/redis', () => {
  let redis: RedisServer
  let shim: UpstashServer
  let client: Redis

  beforeAll(async () => {
    redis = await startRedis()
    shim = await startUpstashServer({ redisPort: redis.port, token: 'secret' })
    client = new Redis({ url: shim.url, token: 'secret', retry: false, enableTelemetry: false })
  })
  afterAll(async () => {
    await shim?.close()
    await redis?.stop()
  })

  it('runs commands with base64-encoded results (unicode included) and counts them by name', async () => {
    shim.resetCounts()
    expect(await client.set('k', 'héllo ✓')).toBe('OK')
    expect(await client.get('k')).toBe('héllo ✓')
    expect(await client.hset('h', { a: 'x', b: 2 })).toBe(2)
    expect(await client.hgetall('h')).toEqual({ a: 'x', b: 2 })
    expect(await client.incr('n')).toBe(1)
    expect(await client.get('missing')).toBeNull()
    expect(Object.fromEntries(shim.counts)).toEqual({ SET: 1, GET: 2, HSET: 1, HGETALL: 1, INCR: 1 })
  })

  it('answers a command error as { error }, which the client throws', async () => {
    await client.set('str', 'v')
    await expect(client.lpush('str', 'x')).rejects.toThrow(/WRONGTYPE/)
    await expect(client.evalsha('0000000000000000000000000000000000000000', [], [])).rejects.toThrow(/NOSCRIPT/)
  })

  it('runs scripts: EVALSHA falls back to EVAL on NOSCRIPT (createScript)', async () => {
    await client.scriptFlush()
    const script = client.createScript<string>("return ARGV[1] .. '!'")
    expect(await script.exec([], ['a'])).toBe('a!')
    expect(await script.exec([], ['b'])).toBe('b!')
  })

  it('runs pipelines in order with one result per command, and transactions atomically', async () => {
    shim.resetCounts()
    const p = client.pipeline()
    p.set('p', 1)
    p.incr('p')
    p.get('p')
    p.lpush('str', 'x') // fails; the others still run
    expect(await p.exec({ keepErrors: true })).toEqual([
      { result: 'OK', error: undefined },
      { result: 2, error: undefined },
      { result: 2, error: undefined },
      { result: undefined, error: expect.stringMatching(/WRONGTYPE/) },
    ])
    const tx = client.multi()
    tx.incr('t')
    tx.incr('t')
    expect(await tx.exec()).toEqual([1, 2])
    expect(shim.requests).toBe(2)
  })

  it('refuses a wrong token with 401', async () => {
    const wrong = new Redis({ url: shim.url, token: 'nope', retry: false, enableTelemetry: false })
    await expect(wrong.get('k')).rejects.toThrow(/Unauthorized/)
    const res = await fetch(shim.url, { method: 'POST', body: '["PING"]' })
    expect(res.status).toBe(401)
  })

  it('streams subscribe and psubscribe as SSE, and the client parses the messages', async () => {
    // Raw payloads: the client would JSON.parse a pattern message and drop what is not JSON.
    const raw = new Redis({ url: shim.url, token: 'secret', retry: false, enableTelemetry: false, automaticDeserialization: false })
    const sub = raw.subscribe<string>(['chan'])
    const psub = raw.psubscribe<string>(['pat:*'])
    const got: string[] = []
    sub.on('message', ({ channel, message }) => got.push(`${channel}=${message}`))
    psub.on('pmessage', ({ pattern, channel, message }) => got.push(`${pattern}:${channel}=${message}`))
    // PUBLISH answers how many received it: both streams are live once it says so.
    await until(async () => (await client.publish('chan', 'warmup')) === 1 && (await client.publish('pat:x', 'warmup')) === 1, 'subscriptions')
    await client.publish('chan', 'one')
    await client.publish('pat:y', 'two, with a comma')
    const real = () => got.filter((m) => !m.endsWith('=warmup'))
    await until(() => real().length === 2, 'messages')
    expect(real()).toEqual(['chan=one', 'pat:*:pat:y=two, with a comma'])
    expect(shim.streams).toBe(2)
    await sub.unsubscribe()
    await psub.unsubscribe()
    await until(() => shim.streams === 0, 'streams closed')
  })
})
