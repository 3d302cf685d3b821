// The platform matrix's scenario: the same example app (test/runtimes/app.mjs, built handler, on a real
// redis-server) served by every platform's real server — node:http, Express, Hono, Bun (Bun.serve
// and `export default io`), Deno (Deno.serve and `deno serve`), Netlify Functions v2 (@netlify/dev)
// and Next.js (next build + next start) — and driven from Node by the client SDK with its default
// options. Every message is counted: nothing missing, nothing extra, nothing delivered twice.
//
// Each platform runs two instances on one Redis:
// - `main`, with a short maxStreamDuration, for the scenario steps; client A reaches it through a
//   loopback proxy that the outage step cuts for 3 s;
// - `quiet`, with the defaults, holding one silent client for longer than Bun's 10 s idle timeout.
import { connect } from '@socket-serve/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startProxy, type Proxy } from '../support/proxy.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { startUpstashServer, type UpstashServer } from '../support/upstash-server.js'
import type { Platform, PlatformApp } from '../support/runtimes.js'

type Socket = ReturnType<typeof connect>

/** What one client saw. */
interface Recorder {
  name: string
  socket: Socket
  connects: number
  disconnects: string[]
  errors: unknown[]
  welcome: unknown[]
  shout: unknown[]
  left: unknown[]
}

/** Longer than Bun's default idleTimeout (10 s). */
const QUIET_MS = 11_500
const OUTAGE_MS = 3000

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function record(name: string, socket: Socket): Recorder {
  const r: Recorder = { name, socket, connects: 0, disconnects: [], errors: [], welcome: [], shout: [], left: [] }
  socket.on('connect', () => r.connects++)
  socket.on('disconnect', (reason: string) => r.disconnects.push(reason))
  socket.on('connect_error', (err: unknown) => r.errors.push(err))
  socket.on('welcome', (d: unknown) => r.welcome.push(d))
  socket.on('shout', (d: unknown) => r.shout.push(d))
  socket.on('left', (d: unknown) => r.left.push(d))
  return r
}

function summary(rs: Recorder[]): string {
  return rs
    .map(({ name, socket, connects, disconnects, errors, welcome, shout, left }) =>
      `${name}: ${JSON.stringify({ id: socket.id, transport: socket.transport, connected: socket.connected, connects, disconnects, errors: errors.map(String), welcome, shout, left })}`,
    )
    .join('\n')
}

/** The SSE streams the client SDK opened (its GET {base}/sse requests): counted on the wire. */
const streams: string[] = []
const streamsTo = (origin: string) => streams.filter((u) => u.startsWith(`${origin}/`)).length
const realFetch = globalThis.fetch
globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input)
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
  if (method === 'GET' && new URL(url).pathname.endsWith('/sse')) streams.push(url)
  return realFetch(input, init)
}) as typeof fetch

const times: string[] = []
afterAll(() => {
  console.log(`platform matrix times (prepare / start / scenario):\n${times.join('\n')}`)
})

/**
 * The scenario for each of `platforms` (a describe block each). PLATFORM=bun npx vitest run
 * test/runtimes runs only the platforms whose name contains the word.
 */
export function describePlatforms(platforms: readonly Platform[]): void {
  const only = process.env.PLATFORM
  for (const platform of platforms.filter((p) => !only || p.name.includes(only))) describePlatform(platform)
}

function describePlatform(platform: Platform): void {
  describe(platform.name, () => {
    const name = platform.name
    const MAX_STREAM_DURATION = platform.maxStreamDuration ?? 1500
    let redis: RedisServer
    let upstash: UpstashServer | undefined
    let main: PlatformApp
    let quietApp: PlatformApp
    let proxy: Proxy
    let quiet: Recorder
    let quietSince = 0
    let started = 0
    let prepareMs = 0
    let startMs = 0
    const clients: Recorder[] = []
    let a: Recorder // through the proxy
    let b: Recorder
    let p: Recorder // polling only
    const room = 'matrix'

    const stderr = () => `--- main stderr ---\n${main?.stderr().slice(-3000)}\n--- quiet stderr ---\n${quietApp?.stderr().slice(-1500)}`

    /** Polls until `cond` holds; fails with every client's record and the servers' stderr. */
    const waitFor = async (what: string, cond: () => boolean, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`[${name}] timed out waiting for ${what}\n${summary([...clients, quiet].filter(Boolean))}\n${stderr()}`)
        await sleep(10)
      }
    }

    const client = (label: string, url: string, options?: Parameters<typeof connect>[1]) => {
      const r = record(label, connect(url, options))
      clients.push(r)
      return r
    }

    beforeAll(async () => {
      started = Date.now()
      redis = await startRedis()
      let env: Record<string, string> = { REDIS_URL: redis.url }
      let closedStore: Record<string, string> = { REDIS_URL: 'redis://127.0.0.1:1' }
      if (platform.store === 'upstash') {
        upstash = await startUpstashServer({ redisPort: redis.port })
        env = { UPSTASH_REDIS_REST_URL: upstash.url, UPSTASH_REDIS_REST_TOKEN: upstash.token }
        closedStore = { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 'none' }
      }
      // A build must not need the store (Next.js evaluates route modules): build against a closed port.
      const t0 = Date.now()
      await platform.prepare?.(closedStore)
      prepareMs = Date.now() - t0
      const t1 = Date.now()
      ;[main, quietApp] = await Promise.all([
        platform.start({ ...env, MAX_STREAM_DURATION: String(MAX_STREAM_DURATION) }),
        platform.start(env),
      ])
      startMs = Date.now() - t1
      proxy = await startProxy({ port: Number(new URL(main.url).port) })
      quiet = record('Q (quiet)', connect(`${quietApp.url}${platform.path}`))
      quietSince = Date.now()
    }, 400_000)

    afterAll(async () => {
      for (const r of [...clients, quiet]) if (r?.socket.connected) r.socket.disconnect()
      await Promise.allSettled([main?.stop(), quietApp?.stop(), proxy?.close()])
      await upstash?.close()
      await redis?.stop()
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
      times.push(`  ${name}: ${s(prepareMs)} / ${s(startMs)} / ${s(Date.now() - started - prepareMs - startMs)}`)
    })

    it('connect, emit with ack', async () => {
      a = client('A', `${proxy.url}${platform.path}`)
      await waitFor('A connects', () => a.connects === 1 || a.errors.length > 0)
      expect(a.errors.map(String)).toEqual([])
      expect(a.socket.transport).toBe('sse') // the default transport, streaming through the platform
      await waitFor('welcome', () => a.welcome.length === 1)
      expect(a.welcome).toEqual([{ id: a.socket.id }])
      const payload = { n: 1, text: 'héllo ✓', nested: { list: [1, 2, 3] }, nothing: null }
      expect(await a.socket.emitWithAck('echo', payload)).toEqual(payload)
      expect(await Promise.all([a.socket.emitWithAck('echo', 1), a.socket.emitWithAck('echo', 'two')])).toEqual([1, 'two'])
    })

    it('room broadcast between two clients', async () => {
      b = client('B', `${main.url}${platform.path}`)
      await waitFor('B connects', () => b.connects === 1)
      expect(await a.socket.emitWithAck('join', { room })).toBe('joined')
      expect(await b.socket.emitWithAck('join', { room })).toBe('joined')
      expect(await a.socket.emitWithAck('shout', { room, from: 'a' })).toBe('ok')
      await waitFor("B gets A's shout", () => b.shout.length >= 1)
      expect(await b.socket.emitWithAck('shout', { room, from: 'b' })).toBe('ok')
      await waitFor("A gets B's shout", () => a.shout.length >= 1)
      await sleep(200) // a stray duplicate or echo to the sender would arrive by now
      expect(a.shout).toEqual([{ room, from: 'b' }])
      expect(b.shout).toEqual([{ room, from: 'a' }])
    })

    it('streams cut by maxStreamDuration resume invisibly', async () => {
      a.shout.length = 0
      const streamsBefore = streamsTo(proxy.url)
      const sent: unknown[] = []
      // Over 3 stream lifetimes, one message every 250 ms (after its ack).
      const until = Date.now() + 3 * MAX_STREAM_DURATION
      for (let i = 0; Date.now() < until; i++) {
        const m = { room, from: 'b', i }
        sent.push(m)
        expect(await b.socket.emitWithAck('shout', m)).toBe('ok')
        await sleep(250)
      }
      expect(sent.length).toBeGreaterThanOrEqual(3)
      await waitFor('A gets every shout', () => a.shout.length >= sent.length)
      await sleep(200)
      expect(a.shout).toEqual(sent)
      // The streams did end and were reopened, without the app seeing it.
      expect(streamsTo(proxy.url) - streamsBefore).toBeGreaterThanOrEqual(2)
      expect(a.connects).toBe(1)
      expect(a.disconnects).toEqual([])
      expect(a.socket.connected).toBe(true)
    })

    it('a polling-only client', async () => {
      p = client('P', `${main.url}${platform.path}`, { transports: ['polling'] })
      await waitFor('P connects', () => p.connects === 1 || p.errors.length > 0)
      expect(p.errors.map(String)).toEqual([])
      expect(p.socket.transport).toBe('polling')
      await waitFor('P welcome', () => p.welcome.length === 1)
      expect(await p.socket.emitWithAck('echo', { via: 'poll' })).toEqual({ via: 'poll' })
      expect(await p.socket.emitWithAck('join', { room })).toBe('joined')
      a.shout.length = 0
      expect(await b.socket.emitWithAck('shout', { room, from: 'b', to: 'poll' })).toBe('ok')
      expect(await p.socket.emitWithAck('shout', { room, from: 'p' })).toBe('ok')
      await waitFor('P gets B, A gets B and P', () => p.shout.length >= 1 && a.shout.length >= 2)
      await sleep(MAX_STREAM_DURATION) // a poll cycle or stream end later: still once each
      expect(p.shout).toEqual([{ room, from: 'b', to: 'poll' }])
      expect(a.shout).toEqual([{ room, from: 'b', to: 'poll' }, { room, from: 'p' }])
      expect(p.connects).toBe(1)
      expect(p.disconnects).toEqual([])
    })

    it(`a ${OUTAGE_MS / 1000} s outage is replayed: everything arrives once`, async () => {
      const id = a.socket.id
      a.shout.length = 0
      proxy.cut(OUTAGE_MS) // every connection of A's dropped, new ones refused for 3 s
      const sent: unknown[] = []
      const until = Date.now() + OUTAGE_MS - 300
      for (let i = 0; Date.now() < until; i++) {
        const m = { room, from: 'b', outage: i }
        sent.push(m)
        expect(await b.socket.emitWithAck('shout', m)).toBe('ok')
        await sleep(300)
      }
      expect(sent.length).toBeGreaterThanOrEqual(2)
      await waitFor('A gets every shout after the outage', () => a.shout.length >= sent.length, 20_000)
      await sleep(300)
      expect(a.shout).toEqual(sent)
      expect(a.socket.id).toBe(id) // the same session, resumed
      expect(a.socket.connected).toBe(true)
      expect(a.welcome).toHaveLength(1) // no new session: onConnect ran once
    })

    it('disconnect runs onDisconnect', async () => {
      const aId = a.socket.id
      a.socket.disconnect()
      expect(a.socket.connected).toBe(false)
      await waitFor("B and P see A's onDisconnect", () => b.left.length >= 1 && p.left.length >= 1)
      const pId = p.socket.id
      p.socket.disconnect()
      await waitFor("B sees P's onDisconnect", () => b.left.length >= 2)
      await sleep(300)
      expect(b.left).toEqual([{ id: aId }, { id: pId }])
      expect(p.left).toEqual([{ id: aId }])
      expect(a.left).toEqual([])
      expect(a.disconnects.at(-1)).toBe('io client disconnect')
      expect(p.disconnects).toEqual(['io client disconnect'])
      for (const r of [a, b, p]) expect(r.welcome, r.name).toHaveLength(1)
      b.socket.disconnect()
      expect(main.running).toBe(true)
    })

    it(`a quiet stream stays open for ${QUIET_MS / 1000} s (longer than Bun's idle timeout)`, async () => {
      await sleep(Math.max(0, quietSince + QUIET_MS - Date.now()))
      expect(quiet.errors.map(String)).toEqual([])
      expect(quiet.socket.transport).toBe('sse')
      expect(quiet.connects).toBe(1)
      expect(quiet.disconnects).toEqual([])
      expect(quiet.welcome).toEqual([{ id: quiet.socket.id }])
      expect(await quiet.socket.emitWithAck('echo', 'still here')).toBe('still here')
      // One stream the whole time: a cut stream would have been reopened with a second GET.
      expect(streamsTo(quietApp.url)).toBe(1)
    })
  })
}
