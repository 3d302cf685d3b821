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
    // Sessions with no stream go idle quickly; only an explicit sweep ends them.
    const server = await startServer({ redisUrl: redis.url, keyPrefix: `app-${name}`, disconnectTimeout: 300, recoveryWindow: 0 }, (io) =>
      io.onDisconnect((s) => void ended[name].push(s.id)),
    )
    servers.push(server)
    return server
  }

  it("one app's sweep ends only its own sessions; its broadcasts reach only its own", async () => {
    const a = await app('a')
    const b = await app('b')
    const mine: RawSession[] = []
    const theirs: RawSession[] = []
    for (let i = 0; i < 3; i++) {
      mine.push(await rawConnect(a.url))
      theirs.push(await rawConnect(b.url))
    }
    expect((await a.io.fetchSockets()).map((s) => s.id).sort()).toEqual(mine.map((s) => s.sid).sort())
    expect((await b.io.fetchSockets()).map((s) => s.id).sort()).toEqual(theirs.map((s) => s.sid).sort())

    // A broadcast of app a is not in app b's sessions' streams.
    await a.io.emit('from-a', 1)
    const poll = await fetch(`${b.url}/poll?wait=0`, { headers: sessionHeaders(theirs[0]!) })
    expect(poll.status).toBe(200)
    expect(await poll.text()).not.toContain('from-a')

    // Both apps' sessions are idle now; app a's sweep ends exactly its three.
    await new Promise((r) => setTimeout(r, 400))
    expect(await a.io.sweep()).toBe(3)
    expect(ended.a.sort()).toEqual(mine.map((s) => s.sid).sort())
    expect(ended.b).toEqual([])
    expect((await b.io.fetchSockets()).length).toBe(3)
    // App b's own session still answers its client.
    const again = await fetch(`${b.url}/poll?wait=0`, { headers: sessionHeaders(theirs[1]!) })
    expect(again.status).toBe(200)
    // And app b's sweep, once they are idle again, finds its own three.
    await new Promise((r) => setTimeout(r, 400))
    expect(await b.io.sweep()).toBe(3)
    await until(() => ended.b.length === 3, "app b's onDisconnect")
    expect(ended.b.sort()).toEqual(theirs.map((s) => s.sid).sort())
    expect(ended.a.length).toBe(3)
  })

  it('refuses a prefix that could reach another app’s keys or slots', () => {
    for (const bad of ['a:b', '{x}', 'a*', '', 'x'.repeat(65)]) {
      expect(() => serve({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: bad }), bad).toThrow(/keyPrefix/)
      expect(() => redisStore('redis://127.0.0.1:1', { keyPrefix: bad }), bad).toThrow(/keyPrefix/)
      expect(() => upstashStore({ url: 'http://127.0.0.1:1', token: 't', keyPrefix: bad }), bad).toThrow(/keyPrefix/)
    }
  })
})
