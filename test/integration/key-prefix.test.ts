import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { upstashStore } from 'socket-serve/upstash'
import { startRedis, type RedisServer } from '../support/redis.js'
import { startServer, until, type TestServer } from '../support/server.js'
import { rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'

/**
 * Two apps on one redis-server (issue 15: one app's sweep ended the other's sessions). Each is a
 * serve({ redisUrl, keyPrefix }) of its own; the one's sweep, broadcasts and fetchSockets never
 * touch the other's sessions.
 */
const IDLE_MS = 1000

describe('keyPrefix: two apps on one Redis', () => {
  let redis: RedisServer
  const servers: TestServer[] = []
  const ended = { a: [] as string[], b: [] as string[] }

  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(async () => {
    for (const s of servers) await s.close()
    await redis?.stop()
  })

  async function app(name: 'a' | 'b'): Promise<TestServer> {
    // Sessions with no stream go idle after IDLE_MS; the test's sweeps end them.
    const server = await startServer({ redisUrl: redis.url, keyPrefix: `app-${name}`, disconnectTimeout: IDLE_MS, recoveryWindow: 0 }, (io) =>
      io.onDisconnect((s) => void ended[name].push(s.id)),
    )
    servers.push(server)
    return server
  }

  it("one app's sweep ends only its own sessions; its broadcasts reach only its own", async () => {
    const a = await app('a')
    const b = await app('b')
    const [mine, theirs] = await Promise.all([a, b].map((s) => Promise.all([1, 2, 3].map(() => rawConnect(s.url)))))
    const ids = (list: RawSession[]) => list.map((s) => s.sid).sort()

    // A broadcast of app a is not in app b's sessions' streams.
    await a.io.emit('from-a', 1)
    const poll = await fetch(`${b.url}/poll?wait=0`, { headers: sessionHeaders(theirs![0]!) })
    expect(poll.status).toBe(200)
    expect(await poll.text()).not.toContain('from-a')

    // Every session is idle now. App a's sweep ends its own three (some may already have gone in
    // a lazy sweep of its own requests) and none of app b's; app b's own sweep then ends its three.
    await new Promise((r) => setTimeout(r, IDLE_MS + 200))
    await a.io.sweep()
    expect(ended.a.sort()).toEqual(ids(mine!))
    expect(ended.b).toEqual([])
    expect(ids(await b.io.fetchSockets().then((l) => l.map((s) => ({ sid: s.id }) as RawSession)))).toEqual(ids(theirs!))
    expect(await a.io.fetchSockets()).toEqual([])
    await b.io.sweep()
    await until(() => ended.b.length === 3, "app b's onDisconnect")
    expect(ended.b.sort()).toEqual(ids(theirs!))
    expect(ended.a.sort()).toEqual(ids(mine!))
  })

  it('refuses a prefix that could reach another app’s keys or slots', () => {
    for (const bad of ['a:b', '{x}', 'a*', '', 'x'.repeat(65)]) {
      expect(() => serve({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: bad }), bad).toThrow(/keyPrefix/)
      expect(() => redisStore('redis://127.0.0.1:1', { keyPrefix: bad }), bad).toThrow(/keyPrefix/)
      expect(() => upstashStore({ url: 'http://127.0.0.1:1', token: 't', keyPrefix: bad }), bad).toThrow(/keyPrefix/)
    }
  })
})
