// Issue 18, item 4 ("find anyone"): two instances on one real redis-server. A session is found by
// its client's address, its user agent and the instance serving its stream (SSE or poll), whichever
// instance is asked; the instance list shows both instances with their streams and version; the
// store's health is Redis's own (memory, PING round trip, failed calls). With the inspector off,
// sessions keep none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SID_HEADER, TOKEN_HEADER } from '@socket-serve/client/protocol'
import type { ServeOptions } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startRedis, type RedisServer } from '../support/redis.js'
import { startServer, type TestServer } from '../support/server.js'

const TOKEN = 'find-secret'
const HANDLER_VERSION = '1.0.0-beta.1'

interface Found {
  id: string
  address?: string
  userAgent?: string
  instance?: string
}

describe('inspector: find anyone', () => {
  let redis: RedisServer
  let a: TestServer
  let b: TestServer
  const streams: AbortController[] = []
  const prefix = `find${process.pid}`
  // Behind a proxy the app trusts, the address comes from its header (the documented clientAddress option).
  const options = (): ServeOptions => ({
    store: redisStore(redis.url, { prefix }),
    inspector: { token: TOKEN },
    clientAddress: (req) => req.headers.get('x-forwarded-for') ?? undefined,
  })

  beforeAll(async () => {
    redis = await startRedis()
    a = await startServer(options())
    b = await startServer(options())
  })
  afterAll(async () => {
    for (const s of streams) s.abort()
    await a?.close()
    await b?.close()
    await redis?.stop()
  })

  const api = async <T>(server: TestServer, path: string): Promise<T> => {
    const res = await fetch(`${server.url}/_inspector/${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status).toBe(200)
    return (await res.json()) as T
  }

  async function connectAs(server: TestServer, address: string, userAgent: string): Promise<{ sid: string; token: string }> {
    const res = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent, 'x-forwarded-for': address },
      body: '{"transport":"sse"}',
    })
    expect(res.status).toBe(200)
    return (await res.json()) as { sid: string; token: string }
  }

  /** Opens the session's SSE stream on `server` and waits for its open frame. */
  async function openStream(server: TestServer, s: { sid: string; token: string }): Promise<void> {
    const abort = new AbortController()
    streams.push(abort)
    const res = await fetch(`${server.url}/sse`, { headers: { [SID_HEADER]: s.sid, [TOKEN_HEADER]: s.token }, signal: abort.signal })
    const reader = res.body!.getReader()
    let text = ''
    while (!text.includes('"c":"open"')) {
      const { value, done } = await reader.read()
      if (done) throw new Error('stream ended before it opened')
      text += new TextDecoder().decode(value)
    }
    // keep reading in the background so the stream stays drained
    void (async () => {
      try {
        while (!(await reader.read()).done) {}
      } catch {
        // aborted
      }
    })()
  }

  const search = async (server: TestServer, q: string) =>
    (await api<{ sessions: Found[] }>(server, `sessions?q=${encodeURIComponent(q)}`)).sessions

  it('finds a session by address, user agent and the instance serving its stream, on either instance', async () => {
    const { instances: fromA } = await api<{ instances: { id: string; self: boolean }[] }>(a, 'instances')
    const { instances: fromB } = await api<{ instances: { id: string; self: boolean }[] }>(b, 'instances')
    const idA = fromA.find((i) => i.self)!.id
    const idB = fromB.find((i) => i.self)!.id
    expect(idA).not.toBe(idB)

    // Connected through A, streaming from B.
    const one = await connectAs(a, '203.0.113.7', 'IncidentBrowser/1.0 (find-me)')
    await openStream(b, one)
    // Connected through B, long-polling on A: the poll ends with the message sent to it.
    const two = await connectAs(b, '198.51.100.9', 'OtherAgent/2.0')
    const poll = fetch(`${a.url}/poll`, { headers: { [SID_HEADER]: two.sid, [TOKEN_HEADER]: two.token } }).then((r) => r.text())
    await expect.poll(() => a.io.hub.hasStream(two.sid), { timeout: 10_000 }).toBe(true)
    await (await a.io.fetchSocket(two.sid))!.emit('wake', 1)
    expect(await poll).toContain('"wake"')

    for (const server of [a, b]) {
      await expect
        .poll(async () => (await search(server, 'find-me')).map((s) => [s.id, s.address, s.userAgent, s.instance]), { timeout: 10_000 })
        .toEqual([[one.sid, '203.0.113.7', 'IncidentBrowser/1.0 (find-me)', idB]])
      await expect.poll(async () => (await search(server, '198.51.100.9')).map((s) => [s.id, s.instance]), { timeout: 10_000 }).toEqual([[two.sid, idA]])
      expect((await search(server, 'otheragent')).map((s) => s.id)).toEqual([two.sid])
      expect((await search(server, idB)).map((s) => s.id)).toEqual([one.sid])
      expect((await search(server, idA)).map((s) => s.id)).toEqual([two.sid])
    }
    const detail = await api<Found>(a, `sessions/${one.sid}`)
    expect([detail.address, detail.userAgent, detail.instance]).toEqual(['203.0.113.7', 'IncidentBrowser/1.0 (find-me)', idB])

    // The instance list, from either instance: both, live, with their open streams and version.
    type Listed = { id: string; version: string; streams: number; at: number; status: string; self: boolean }
    await expect
      .poll(
        async () => {
          await api(b, 'instances') // B writes its record when due (at most every 5 s)
          const list = (await api<{ instances: Listed[] }>(a, 'instances')).instances
          return list
            .filter((i) => i.id === idA || i.id === idB)
            .map((i) => [i.id, i.version, i.status, i.streams, i.self])
            .sort()
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toEqual([[idA, HANDLER_VERSION, 'live', 0, true], [idB, HANDLER_VERSION, 'live', 1, false]].sort())
  }, 60_000)

  it("reports Redis's memory, PING round trip and failed calls", async () => {
    type Health = { kind: string; latencyMs: number | null; memory?: { used: number; max: number | null }; errorCount: number; errors: unknown[] }
    const { store } = await api<{ store: Health }>(a, 'instances')
    expect(store.kind).toBe('redis')
    expect(store.latencyMs).toBeGreaterThanOrEqual(0)
    expect(store.memory!.used).toBeGreaterThan(100_000)
    expect(store.memory!.max).toBeNull() // the test redis-server sets no maxmemory
    expect([store.errorCount, store.errors]).toEqual([0, []])

    // A store whose Redis went away: the PING fails, the failed calls are counted and shown.
    const own = await startRedis()
    const lone = redisStore(own.url, { prefix })
    try {
      expect((await lone.health!()).latencyMs).not.toBeNull()
      await own.stop()
      await expect(lone.liveCount()).rejects.toThrow()
      const down = await lone.health!()
      expect(down.latencyMs).toBeNull()
      expect(down.errorCount).toBeGreaterThanOrEqual(2)
      expect(down.errors.length).toBe(Math.min(down.errorCount, 10))
    } finally {
      await lone.close()
      await own.stop()
    }
  }, 60_000)

  it('keeps no address, user agent or instance when the inspector is off', async () => {
    const off = await startServer({ store: redisStore(redis.url, { prefix: `${prefix}off` }) })
    try {
      const s = await connectAs(off, '192.0.2.1', 'Quiet/1.0')
      await openStream(off, s)
      const record = await off.io.store.getSession(s.sid)
      expect(record).not.toBeNull()
      expect([record!.client, record!.cursor]).toEqual([undefined, undefined])
    } finally {
      streams.at(-1)?.abort()
      await off.close()
    }
  })
})
