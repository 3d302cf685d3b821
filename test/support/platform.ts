// A serverless platform emulator: an HTTP front on a loopback port in front of short-lived
// "function instances" (child processes running test/apps/serverless/instance.mjs), behaving like
// Vercel / Netlify / Lambda's router as far as socket-serve can tell:
//
//   const redis = await startRedis()
//   const platform = await startPlatform({ env: { REDIS_URL: redis.url }, concurrency: 1, lostResponses: 0.1 })
//   connect(platform.url)                  // http://127.0.0.1:PORT/api/socket
//   await platform.cron()                  // GET {url}/_sweep with Authorization: Bearer <cronSecret>
//   await platform.kill9(pid)              // a crash, beyond the platform's own kills
//   console.log(platform.summary('delivery'))
//   await platform.close()
//
// - Cold starts: an instance is a fresh process with fresh module state. A small pool of
//   pre-spawned, never-used instances keeps tests fast; each still counts as a cold start when it
//   takes its first request (its module ran, nothing else did).
// - An instance is killed with SIGKILL the moment it has no request in flight (its last response
//   fully forwarded, or its client gone): nothing runs between requests, no timers, no background
//   promises. ctx.waitUntil work that has not finished by then is lost, as on a platform.
// - Concurrency per instance: 1 is Lambda/Netlify (each open SSE stream is its own instance);
//   more is Vercel Fluid. An instance accepts a bounded number of requests (seeded, between
//   lifetime[0] and lifetime[1]), then drains: no new requests, killed when its last one ends. So
//   instances churn even while open streams keep them busy.
// - Platform time limit (maxDuration): a request still open after it is cut (client connection
//   destroyed). The app is told maxStreamDuration = maxDuration / 2 (MAX_STREAM_MS), as a
//   deployment on such a platform configures it, so streams end themselves first.
// - Lost responses: for POSTs, with a seeded rate, the front lets the instance answer fully, then
//   destroys the client's connection instead of forwarding the answer: the handler did its work,
//   the client sees a network error and retries (on another instance).
// - Cut requests: platform.cutNext('/message', ms) cuts the next such POST's client connection
//   while its instance keeps running it: the client's retry overlaps the first attempt.
// - Cron: the only sweep is a request, GET {url}/_sweep with the cron secret (CRON_SECRET in the
//   instances' environment). platform.cron() sends one; cronEvery sends one periodically.
// - Counters: coldStarts, kills (idle), faultKills (kill9), timeouts, lostResponses, cutRequests, requests by
//   route, and one record per instance (pid, requests, routes, why it died).
// - Bodies stream chunk by chunk (SSE frames flow as written); a client that goes away aborts the
//   upstream request. Request bodies are read whole first, as platforms do.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { TEST_DIR } from './paths.js'
import { startProcess, type ChildHandle } from './processes.js'

export const FUNCTION_INSTANCE = join(TEST_DIR, 'apps', 'serverless', 'instance.mjs')

export interface PlatformOptions {
  /** Environment of every instance (REDIS_URL, ...). */
  env: Record<string, string | undefined>
  /** Requests one instance serves at once. Default 1 (Lambda/Netlify). */
  concurrency?: number
  /** Requests an instance accepts before it drains: a seeded pick in [min, max]. Default [5, 30]. */
  lifetime?: [number, number]
  /** Share of POST answers lost after the instance answered (0..1). Default 0. */
  lostResponses?: number
  /** Path suffixes whose POST answers may be lost. Default: every POST. */
  loseRoutes?: string[]
  /** Seed of every random choice. Default 1. */
  seed?: number
  /** Pre-spawned, never-used instances kept ready. Default 3. */
  pool?: number
  /** Platform time limit of a request in ms (0: none). Default 10000. */
  maxDuration?: number
  /** Sent as MAX_STREAM_MS. Default maxDuration / 2 (unset when maxDuration is 0). */
  maxStreamDuration?: number
  /** The cron secret (CRON_SECRET). Default: random. */
  cronSecret?: string
  /** ms between the platform's own cron requests; 0 (default): only platform.cron(). */
  cronEvery?: number
  /** Mount path of the function. Default '/api/socket'. */
  basePath?: string
  /** The instance entry. Default FUNCTION_INSTANCE. */
  entry?: string
}

export type DeathCause = 'idle' | 'fault' | 'exit' | 'closed'

export interface InstanceRecord {
  /** 1, 2, 3... in spawn order */
  n: number
  pid: number
  /** requests it accepted, by route */
  routes: Record<string, number>
  requests: number
  /** requests it accepts before draining */
  life: number
  /** requests in flight right now */
  inflight: number
  state: 'fresh' | 'serving' | 'draining' | 'dead'
  died?: DeathCause
}

export interface PlatformCounts {
  coldStarts: number
  /** SIGKILLs by the platform: an instance with nothing in flight */
  kills: number
  /** kill9() calls: crashes the test asked for */
  faultKills: number
  /** requests cut by maxDuration */
  timeouts: number
  lostResponses: number
  /** POSTs whose client connection cutNext() cut while the instance kept running them */
  cutRequests: number
  /** by route ('/message', '/sse', '/_sweep', ...) */
  requests: Record<string, number>
  /** 502s: the instance died before answering */
  badGateway: number
  cron: { runs: number; ended: number; failed: number }
  /** most instances alive (serving or draining) at once */
  maxLive: number
}

/** One request as the platform saw it (the last 20,000 are kept). */
export interface RequestRecord {
  method: string
  route: string
  /** x-socket-sid, when the request carried one */
  sid?: string
  /** the instance's number (InstanceRecord.n) */
  instance: number
  /** the instance's answer status; 0 when it never answered */
  status: number
  outcome: 'open' | 'answered' | 'lost' | 'cut' | 'time-limit' | 'client-gone' | 'instance-died' | 'bad-gateway'
  start: number
  ms: number
  /** ms the request waited for its instance to be ready (a cold start's boot when the pool was empty) */
  wait: number
}

export interface CronResult {
  status: number
  body: unknown
}

export interface Platform {
  /** The function's endpoint: http://127.0.0.1:PORT/api/socket */
  url: string
  port: number
  readonly counts: PlatformCounts
  /** Every instance ever used or spawned, in spawn order. */
  readonly instances: readonly InstanceRecord[]
  /** What instances wrote to stderr before they died (one entry per instance that wrote any). */
  readonly stderr: readonly string[]
  /** Every request, in arrival order (bounded). */
  readonly log: readonly RequestRecord[]
  /** Instances serving or draining now. */
  live(): InstanceRecord[]
  /**
   * Live instances with an open request on this route suffix (e.g. '/sse') that reached the
   * function: its process is up. An instance still cold-starting holds the request in the
   * platform's queue, not in a function (its pid is still 0).
   */
  holding(routeSuffix: string): InstanceRecord[]
  /** GET {url}/_sweep with the cron secret. */
  cron(): Promise<CronResult>
  /**
   * The next POST on this route suffix loses its client connection after `afterMs` (if not yet
   * answered); its instance runs it to the end and the answer is dropped: the client retries
   * while the first attempt is still running.
   */
  cutNext(routeSuffix: string, afterMs: number): void
  /**
   * SIGKILL an instance now, whatever it is doing (its clients see their connections cut).
   * Resolves false when it was already dead. Throws for pid 0 (an instance still starting).
   */
  kill9(pid: number): Promise<boolean>
  /** One line of counts, for the test log. */
  summary(label: string): string
  close(): Promise<void>
}

/** mulberry32: small, seeded, good enough to pick lifetimes and lost answers deterministically. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v
  return out
}

function routeOf(url: string): string {
  const path = url.split('?')[0]!
  return path.slice(path.lastIndexOf('/')) || '/'
}

const BAD_GATEWAY = '{"error":{"code":"INTERNAL","message":"function instance failed"}}'

interface Instance extends InstanceRecord {
  handle?: ChildHandle
  port: number
  ready: Promise<void>
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const concurrency = opts.concurrency ?? 1
  const [minLife, maxLife] = opts.lifetime ?? [5, 30]
  const loseRate = opts.lostResponses ?? 0
  const loseRoutes = opts.loseRoutes
  // Two streams, so that how many instances were spawned does not shift which answers are lost:
  // with a given seed, the n-th eligible POST is lost or not whatever the timing.
  const random = seeded(opts.seed ?? 1)
  const loseDraw = seeded((opts.seed ?? 1) ^ 0x5bd1e995)
  const poolSize = opts.pool ?? 3
  const maxDuration = opts.maxDuration ?? 10_000
  const maxStream = opts.maxStreamDuration ?? (maxDuration > 0 ? Math.floor(maxDuration / 2) : undefined)
  const cronSecret = opts.cronSecret ?? randomBytes(16).toString('hex')
  const basePath = opts.basePath ?? '/api/socket'
  const entry = opts.entry ?? FUNCTION_INSTANCE
  const env = { ...opts.env, CRON_SECRET: cronSecret, MAX_STREAM_MS: maxStream === undefined ? opts.env.MAX_STREAM_MS : String(maxStream) }

  const counts: PlatformCounts = {
    coldStarts: 0,
    kills: 0,
    faultKills: 0,
    timeouts: 0,
    lostResponses: 0,
    cutRequests: 0,
    requests: {},
    badGateway: 0,
    cron: { runs: 0, ended: 0, failed: 0 },
    maxLive: 0,
  }
  const instances: Instance[] = []
  const log: RequestRecord[] = []
  const stderr: string[] = []
  const pool: Instance[] = []
  let closed = false
  let spawned = 0

  const spawnInstance = (): Instance => {
    const inst: Instance = {
      n: ++spawned,
      pid: 0,
      port: 0,
      routes: {},
      requests: 0,
      life: minLife + Math.floor(random() * (maxLife - minLife + 1)),
      inflight: 0,
      state: 'fresh',
      ready: Promise.resolve(),
    }
    instances.push(inst)
    inst.ready = startProcess(process.execPath, [entry], { name: `fn#${inst.n}`, env, timeoutMs: 20_000 }).then((handle) => {
      inst.handle = handle
      inst.pid = handle.pid
      inst.port = Number(new URL(handle.url).port)
      void handle.exited.then(() => {
        if (inst.state !== 'dead') die(inst, 'exit')
        const err = handle.stderr().trim()
        if (err) stderr.push(`#${inst.n} (pid ${inst.pid}): ${err}`)
      })
      if (closed || inst.state === 'dead') void handle.kill9()
    })
    inst.ready.catch((err) => {
      console.error(`[platform] instance #${inst.n} failed to start:`, err)
      if (inst.state !== 'dead') die(inst, 'exit')
    })
    return inst
  }

  const refillPool = () => {
    while (!closed && pool.length < poolSize) pool.push(spawnInstance())
  }

  const die = (inst: Instance, cause: DeathCause) => {
    inst.state = 'dead'
    inst.died ??= cause
    const i = pool.indexOf(inst)
    if (i !== -1) pool.splice(i, 1)
    void inst.handle?.kill9()
  }

  const liveCount = () => instances.filter((i) => i.state === 'serving' || i.state === 'draining').length

  /** Picks the instance for one request: a warm one with room, else a cold start (pool first). */
  const acquire = (route: string): Instance => {
    let inst = instances.find((i) => i.state === 'serving' && i.inflight < concurrency)
    if (!inst) {
      inst = pool.shift() ?? spawnInstance()
      inst.state = 'serving'
      counts.coldStarts++
      refillPool()
    }
    inst.inflight++
    inst.requests++
    inst.routes[route] = (inst.routes[route] ?? 0) + 1
    if (inst.requests >= inst.life) inst.state = 'draining'
    counts.maxLive = Math.max(counts.maxLive, liveCount())
    return inst
  }

  /** The request's last byte is out (or its client is gone): the platform freezes-kills at 0. */
  const release = (inst: Instance) => {
    inst.inflight--
    if (inst.inflight === 0 && inst.state !== 'dead') {
      counts.kills++
      die(inst, 'idle')
    }
  }

  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => {
    const route = routeOf(req.url ?? '/')
    counts.requests[route] = (counts.requests[route] ?? 0) + 1
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => void forward(req, res, route, Buffer.concat(chunks)))
  })

  const forward = async (req: http.IncomingMessage, res: http.ServerResponse, route: string, body: Buffer) => {
    if (closed || res.destroyed) return void res.destroy()
    const inst = acquire(route)
    const sid = req.headers['x-socket-sid']
    const entry: RequestRecord = {
      method: req.method ?? 'GET',
      route,
      sid: typeof sid === 'string' ? sid : undefined,
      instance: inst.n,
      status: 0,
      outcome: 'open',
      start: Date.now(),
      ms: 0,
      wait: 0,
    }
    log.push(entry)
    if (log.length > 20_000) log.splice(0, log.length - 20_000)
    const outcome = (o: RequestRecord['outcome']) => {
      if (entry.outcome === 'open') entry.outcome = o
      entry.ms = Date.now() - entry.start
    }
    // The instance is done with this request once its client side is over (answered, lost, cut
    // or gone) and the upstream exchange is over too. A cut client leaves the instance running:
    // platforms do not stop a function because its caller went away.
    let clientDone = false
    let upstreamDone = false
    let detached = false
    let released = false
    let upstream: http.ClientRequest | undefined
    let limit: ReturnType<typeof setTimeout> | undefined
    const settle = () => {
      if (released || !clientDone || !upstreamDone) return
      released = true
      clearTimeout(limit)
      release(inst)
    }
    res.on('close', () => {
      outcome(res.writableFinished ? 'answered' : inst.state === 'dead' && inst.died === 'fault' ? 'instance-died' : 'client-gone')
      clientDone = true
      if (!detached) upstream?.destroy()
      if (!upstream) upstreamDone = true
      settle()
    })
    try {
      await inst.ready
    } catch {
      /* handled below: the instance is dead */
    }
    entry.wait = Date.now() - entry.start
    if (inst.state === 'dead' || res.destroyed) {
      if (!res.destroyed) {
        outcome('bad-gateway')
        counts.badGateway++
        res.writeHead(502, { 'content-type': 'application/json' }).end(BAD_GATEWAY)
      }
      upstreamDone = true
      return settle()
    }
    if (maxDuration > 0) {
      limit = setTimeout(() => {
        counts.timeouts++
        outcome('time-limit')
        detached = false
        upstream?.destroy()
        res.destroy()
      }, maxDuration)
    }
    const lose =
      req.method === 'POST' && loseRate > 0 && (!loseRoutes || loseRoutes.some((s) => route.endsWith(s))) && loseDraw() < loseRate
    const cut = req.method === 'POST' ? takeCut(route) : undefined
    const headers = forwardHeaders(req.headers)
    headers['content-length'] = String(body.length)
    const up = http.request({ host: '127.0.0.1', port: inst.port, method: req.method, path: req.url, headers, agent: false })
    upstream = up
    up.on('close', () => {
      upstreamDone = true
      settle()
    })
    if (cut !== undefined) {
      setTimeout(() => {
        if (res.headersSent || res.destroyed) return
        counts.cutRequests++
        outcome('cut')
        detached = true
        res.destroy()
      }, cut)
    }
    up.on('response', (upRes) => {
      entry.status = upRes.statusCode ?? 0
      if (lose || detached) {
        // The handler ran and answered; the answer never reaches the client.
        upRes.resume()
        upRes.on('end', () => {
          if (!detached) {
            counts.lostResponses++
            outcome('lost')
          }
          res.destroy()
        })
        upRes.on('error', () => res.destroy())
        return
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardHeaders(upRes.headers))
      res.flushHeaders()
      upRes.on('data', (c: Buffer) => {
        if (!res.write(c)) {
          upRes.pause()
          res.once('drain', () => upRes.resume())
        }
      })
      upRes.on('end', () => res.end())
      // The instance died mid-response: the client must see a cut, not a clean end.
      upRes.on('error', () => res.destroy())
      upRes.on('close', () => {
        if (!upRes.complete) res.destroy()
      })
    })
    up.on('error', () => {
      if (detached) return
      if (res.headersSent || res.destroyed) return void res.destroy()
      outcome('bad-gateway')
      counts.badGateway++
      res.writeHead(502, { 'content-type': 'application/json' }).end(BAD_GATEWAY)
    })
    up.end(body)
  }

  /** One-shot cuts armed by cutNext(): ms after which the next POST on a route loses its client. */
  const cuts: { suffix: string; afterMs: number }[] = []
  const takeCut = (route: string): number | undefined => {
    const i = cuts.findIndex((c) => route.endsWith(c.suffix))
    return i === -1 ? undefined : cuts.splice(i, 1)[0]!.afterMs
  }

  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}${basePath}`

  refillPool()
  await Promise.all(pool.map((i) => i.ready))

  const cron = async (): Promise<CronResult> => {
    counts.cron.runs++
    try {
      const res = await fetch(`${url}/_sweep`, { headers: { authorization: `Bearer ${cronSecret}` }, signal: AbortSignal.timeout(30_000) })
      const text = await res.text()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {
        /* not JSON: keep the text */
      }
      const ended = (body as { ended?: unknown } | null)?.ended
      if (res.status === 200 && typeof ended === 'number') counts.cron.ended += ended
      else counts.cron.failed++
      return { status: res.status, body }
    } catch (err) {
      counts.cron.failed++
      return { status: 0, body: String(err) }
    }
  }
  let cronTimer: ReturnType<typeof setTimeout> | undefined
  if (opts.cronEvery) {
    const tick = () => {
      cronTimer = setTimeout(() => void cron().finally(() => !closed && tick()), opts.cronEvery)
    }
    tick()
  }

  return {
    url,
    port,
    counts,
    instances,
    log,
    stderr,
    live: () => instances.filter((i) => i.state === 'serving' || i.state === 'draining'),
    holding: (suffix) =>
      instances.filter((i) => i.state !== 'dead' && i.state !== 'fresh' && i.pid > 0 && i.inflight > 0 && Object.keys(i.routes).some((r) => r.endsWith(suffix))),
    cron,
    cutNext(suffix, afterMs) {
      cuts.push({ suffix, afterMs })
    },
    async kill9(pid) {
      // Every instance still starting has pid 0: killing "pid 0" would hit whichever came first.
      if (!(pid > 0)) throw new Error(`kill9 needs the pid of a started instance, not ${pid}`)
      const inst = instances.find((i) => i.pid === pid)
      if (!inst) throw new Error(`no instance with pid ${pid}`)
      if (inst.state === 'dead') return false
      counts.faultKills++
      inst.died = 'fault'
      const handle = inst.handle
      die(inst, 'fault')
      await handle?.exited
      return true
    },
    summary(label) {
      const used = instances.filter((i) => i.requests > 0)
      const most = used.reduce((m, i) => Math.max(m, i.requests), 0)
      const routes = Object.entries(counts.requests)
        .sort()
        .map(([r, n]) => `${r.slice(1)} ${n}`)
        .join(', ')
      // How long the answered POSTs took, cold start included (what a client waits for).
      const posted = log.filter((e) => e.method === 'POST' && e.outcome === 'answered').map((e) => e.ms).sort((a, b) => a - b)
      const pct = (q: number) => posted[Math.min(posted.length - 1, Math.floor(q * posted.length))] ?? 0
      return (
        `[platform ${label}] concurrency ${concurrency}: cold starts ${counts.coldStarts}, kills ${counts.kills}, fault kills ${counts.faultKills}, ` +
        `lost responses ${counts.lostResponses}, cut requests ${counts.cutRequests}, time-limit cuts ${counts.timeouts}, 502s ${counts.badGateway}, ` +
        `instances used ${used.length} (max ${counts.maxLive} alive at once, most requests on one ${most}), ` +
        `cron ${counts.cron.runs} (ended ${counts.cron.ended}, failed ${counts.cron.failed}), instances with stderr ${stderr.length}, answered POSTs p50 ${pct(0.5)} ms p95 ${pct(0.95)} ms; requests: ${routes}`
      )
    },
    async close() {
      closed = true
      clearTimeout(cronTimer)
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.all(
        instances.map(async (i) => {
          await i.ready.catch(() => {})
          if (i.state !== 'dead') {
            i.state = 'dead'
            i.died ??= 'closed'
          }
          await i.handle?.kill9()
        }),
      )
    },
  }
}
