import { afterEach, describe, expect, it } from 'vitest'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep } from '../support/server.js'

describe('redisStore', () => {
  let redis: RedisServer | undefined
  afterEach(async () => {
    await redis?.destroy()
    redis = undefined
  })

  it('created while Redis is down, it answers StoreUnavailable fast, then works once Redis is up (a cold start during a restart)', async () => {
    redis = await startRedis()
    await redis.stop()
    const store = redisStore(redis.url)
    try {
      const t0 = Date.now()
      await expect(store.head('r:x')).rejects.toMatchObject({ name: 'StoreUnavailableError' })
      expect(Date.now() - t0).toBeLessThan(3000)
      await redis.start()
      let head: number | undefined
      for (let i = 0; i < 50 && head === undefined; i++) {
        head = await store.head('r:x').catch(() => undefined)
        if (head === undefined) await sleep(100)
      }
      expect(head).toBe(0)
      expect((await store.append('r:x', '{"e":"a"}', undefined, { ttl: 60, maxLogLength: 10 })).seq).toBe(1)
    } finally {
      await store.close()
    }
  })
})
