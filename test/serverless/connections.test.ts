// Redis connections per open stream when each stream is its own function instance (Lambda,
// Netlify: concurrency 1). A long-lived server shares two connections among all its streams
// (test/integration/redis-cost.test.ts); here each stream's instance holds its own: the command
// connection and the subscriber its stream waits on. Printed for the README's cost table.
import { describe, expect, it } from 'vitest'
import { redisCommand } from '../support/redis.js'
import { client, deploy, sleep, until } from './harness.js'

async function clients(port: number): Promise<number> {
  const list = String(await redisCommand(port, 'CLIENT', 'LIST'))
  return list.split('\n').filter((l) => l.trim()).length - 1 // less the connection asking
}

describe('Redis connections per open stream, one instance per request', () => {
  for (const transport of ['sse', 'polling'] as const) {
    it(`over ${transport}: two per open stream (commands and subscriber), none left by finished requests`, async () => {
      const { redis, platform } = await deploy({ concurrency: 1, maxDuration: 0 })
      const before = await clients(redis.port)
      const N = 4
      const open = []
      for (let i = 0; i < N; i++) open.push(await client(platform.url, transport))
      // Each stream (a parked poll) is open on its own instance; the connects' instances are gone.
      expect(await until(async () => (await clients(redis.port)) - before <= 2 * N, 10_000)).toBe(true)
      await sleep(500)
      const perStream = ((await clients(redis.port)) - before) / N
      console.log(`[connections] ${transport}: ${perStream} Redis connections per open stream (${N} streams, one instance each)`)
      expect(perStream).toBeLessThanOrEqual(2)
      expect(perStream).toBeGreaterThan(0)
      for (const c of open) c.socket.disconnect()
      expect(await until(async () => (await clients(redis.port)) === before, 10_000)).toBe(true)
    })
  }
})
