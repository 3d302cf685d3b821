// Shared by the suites that run under the platform emulator: a redis-server and a platform per
// test, clients through the platform, and the counters the function app keeps in Redis.
import { connect, type ClientSocket, type ConnectOptions } from '@socket-serve/client'
import { startPlatform, type Platform, type PlatformOptions } from '../support/platform.js'
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js'
import { cleanupsAfterEach } from '../support/cleanups.js'

type Transport = NonNullable<ConnectOptions['transports']>[number]

const cleanups = cleanupsAfterEach()

export interface Deployment {
  redis: RedisServer
  platform: Platform
}

/** A fresh redis-server and a platform running the function app on it. */
export async function deploy(opts: Omit<PlatformOptions, 'env'> & { env?: PlatformOptions['env']; appendonly?: boolean } = {}): Promise<Deployment> {
  const redis = await startRedis({ appendonly: opts.appendonly })
  cleanups.push(() => redis.destroy())
  const platform = await startPlatform({ ...opts, env: { REDIS_URL: redis.url, ...opts.env } })
  cleanups.push(() => platform.close())
  return { redis, platform }
}

/** A fetch the test can cut: after cut(), every request in flight is aborted and new ones fail. */
export function cuttableFetch(): { fetch: typeof fetch; cut(): void } {
  const controller = new AbortController()
  return {
    fetch: (input, init) => {
      if (controller.signal.aborted) return Promise.reject(new TypeError('network is gone'))
      const signal = init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal
      return fetch(input, { ...init, signal })
    },
    cut: () => controller.abort(),
  }
}

export interface Client {
  socket: ClientSocket
  id: string
  transport: Transport
}

/** A client through the platform, with the client's defaults; resolves once connected. */
export async function client(url: string, transport: Transport, extra: ConnectOptions = {}): Promise<Client> {
  const socket = connect(url, { transports: [transport], ...extra })
  cleanups.push(() => socket.disconnect())
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${transport} client did not connect within 20 s`)), 20_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  return { socket, id: socket.id!, transport }
}

/** The platform's log of one session's POSTs, compact: `route status outcome ms`. */
export function posts(platform: Deployment['platform'], sid: string): string {
  return platform.log
    .filter((e) => e.sid === sid && e.method === 'POST')
    .map((e) => `${e.route.slice(1)}#${e.instance} ${e.status} ${e.outcome} ${e.ms}ms`)
    .join(', ')
}

/** HGETALL of one of the function app's counters ('runs' by message uid, 'disconnects' by sid). */
export async function counter(redis: RedisServer, name: 'runs' | 'disconnects'): Promise<Map<string, number>> {
  const flat = (await redisCommand(redis.port, 'HGETALL', name)) as string[]
  const out = new Map<string, number>()
  for (let i = 0; i < flat.length; i += 2) out.set(flat[i]!, Number(flat[i + 1]))
  return out
}

/** The function app's lifecycle story of these sessions (connect, revive, disconnect), times relative to `since`. */
export async function lifecycle(redis: RedisServer, sids: string[], since: number): Promise<string[]> {
  const all = (await redisCommand(redis.port, 'LRANGE', 'lifecycle', 0, -1)) as string[]
  return all
    .map((line) => line.split(' '))
    .filter(([, , , sid]) => sids.includes(sid!))
    .map(([ms, pid, kind, sid, ...reason]) => `+${Number(ms) - since}ms pid ${pid} ${kind} ${sid}${reason.length ? ` (${reason.join(' ')})` : ''}`)
}

/** Handler runs that are not exactly one per expected uid: `uid x<n>` entries (missing: x0). */
export function runsOff(runs: Map<string, number>, uids: string[]): string[] {
  const off = uids.filter((u) => runs.get(u) !== 1).map((u) => `${u} x${runs.get(u) ?? 0}`)
  const want = new Set(uids)
  for (const [u, n] of runs) if (!want.has(u)) off.push(`${u} x${n} (not sent)`)
  return off
}

/** Lost, duplicated and out-of-order counts of what one client received, against what was sent. */
export function tally(got: string[], sent: string[]): { lost: string[]; duplicated: string[]; outOfOrder: number } {
  const seen = new Map<string, number>()
  for (const uid of got) seen.set(uid, (seen.get(uid) ?? 0) + 1)
  const lost = sent.filter((u) => !seen.has(u))
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([u, n]) => `${u} x${n}`)
  // Per sender (uid = `<sender>-<k>`), k must only grow.
  const last = new Map<string, number>()
  let outOfOrder = 0
  for (const uid of got) {
    const dash = uid.lastIndexOf('-')
    const sender = uid.slice(0, dash)
    const k = Number(uid.slice(dash + 1))
    if (k <= (last.get(sender) ?? -1)) outOfOrder++
    last.set(sender, k)
  }
  return { lost, duplicated, outOfOrder }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) return false
    await sleep(50)
  }
  return true
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
