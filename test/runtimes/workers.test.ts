// Platform matrix (scenario.ts): Cloudflare Workers under `wrangler dev` (workerd, offline), with the
// Upstash store (no TCP on Workers) through the test Upstash server. Then the worker's cron trigger
// (its `scheduled` handler) ends a vanished client's session: onDisconnect runs, a room member hears it.
import { connect } from '@socket-serve/client'
import { upstashStore } from 'socket-serve/upstash'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type RedisServer } from '../support/redis.js'
import { PLATFORMS, type PlatformApp } from '../support/runtimes.js'
import { startUpstashServer, type UpstashServer } from '../support/upstash-server.js'
import { describePlatforms } from './scenario.js'

const workers = PLATFORMS.filter((p) => p.ownFile === 'workers')
describePlatforms(workers)

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.skipIf(process.env.PLATFORM && !workers[0]!.name.includes(process.env.PLATFORM))('cloudflare workers: the cron trigger', () => {
  let redis: RedisServer
  let rest: UpstashServer
  let app: PlatformApp

  beforeAll(async () => {
    redis = await startRedis()
    rest = await startUpstashServer({ redisPort: redis.port })
    app = await workers[0]!.start({ UPSTASH_REDIS_REST_URL: rest.url, UPSTASH_REDIS_REST_TOKEN: rest.token })
  }, 120_000)

  afterAll(async () => {
    await app?.stop()
    await rest?.close()
    await redis?.stop()
  })

  it('the scheduled handler sweeps: a vanished session is ended and its room hears onDisconnect', async () => {
    const b = connect(`${app.url}/socket`)
    const left: unknown[] = []
    b.on('left', (d: unknown) => left.push(d))
    try {
      await new Promise<void>((resolve, reject) => {
        b.once('connect', () => resolve())
        b.once('connect_error', reject)
      })
      expect(await b.emitWithAck('join', { room: 'cron' })).toBe('joined')
      // A client that vanished a minute ago, in the same room (written as the server would have).
      const store = upstashStore({ url: rest.url, token: rest.token })
      const old = Date.now() - 60_000
      await store.createSession({ sid: 'gone', token: 'tok-gone', user: null, state: {}, rooms: { '*': 0 }, transport: 'sse', createdAt: old, lastSeen: old }, { ttl: 300, maxLogLength: 1000 })
      await store.joinRoom('gone', 'cron', { ttl: 300, maxLogLength: 1000 })
      await store.close()
      await sleep(300)
      expect(left).toEqual([]) // nothing swept it yet (the connect's own due sweep came before it)
      const res = await fetch(`${app.url}/cdn-cgi/handler/scheduled`)
      expect(res.status).toBe(200)
      await res.text()
      const deadline = Date.now() + 10_000
      while (left.length === 0 && Date.now() < deadline) await sleep(20)
      expect(left).toEqual([{ id: 'gone' }])
    } finally {
      b.disconnect()
    }
  })
})
