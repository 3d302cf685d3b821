import { afterAll, beforeAll } from 'vitest'
import type { Store } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from './redis.js'

/** The stores a client scenario runs against: the embedded default, and a real redis-server. */
export interface StoreCase {
  name: string
  /** a fresh store for one server (undefined: serve()'s default memory store) */
  make(): Store | undefined
}

let n = 0

/** Call at the top of a test file: starts one redis-server for the file's Redis cases. */
export function storeCases(): StoreCase[] {
  let redis: RedisServer | undefined
  beforeAll(async () => {
    redis = await startRedis()
  }, 30_000)
  afterAll(async () => {
    await redis?.stop()
  })
  return [
    { name: 'memory', make: () => undefined },
    {
      name: 'redis',
      make: () => {
        if (!redis) throw new Error('redis-server did not start')
        // A key prefix per server keeps tests in one file apart.
        return redisStore(redis.url, { prefix: `api${process.pid}x${++n}` })
      },
    },
  ]
}
