// An HTTP round-robin load balancer on a loopback port, in front of N backends: what a platform's
// router does to a multi-instance deployment. No stickiness: every request goes to the next backend.
//
//   const lb = await startBalancer([{ port: a.port }, { port: b.port }, { port: c.port }])
//   connect(`${lb.url}/api/socket`)
//   lb.log           // one entry per request: method, path, sid header, the backend that answered
//   await lb.close()
//
// - Request and response bodies are streamed (SSE flows chunk by chunk).
// - A backend that refuses or resets the connection before answering is skipped for that request:
//   the request goes to the next backend (the request body is kept for that, up to maxReplayBytes);
//   when none answers: 502 {"error":{"code":"INTERNAL","message":"no backend"}}.
// - A backend that dies mid-response cuts the client's connection too (no clean end).
// - A client that goes away aborts the upstream request.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Backend {
  host?: string
  port: number
}

export interface BalancerLogEntry {
  method: string
  path: string
  /** x-socket-sid of the request, if any */
  sid?: string
  /** index into backends of the backend the request went to (the last one tried); -1 when none answered (502) */
  backend: number
  /** port of that backend (0 when none) */
  port: number
  /** response status: 0 until the response head arrived; 502 when no backend answered */
  status: number
  /** backends tried and skipped before this one */
  skipped: number
}

export interface Balancer {
  url: string
  port: number
  readonly backends: readonly Backend[]
  /** Replaces the backend list (e.g. after starting a new instance). */
  setBackends(backends: Backend[]): void
  /** Every request, in arrival order (bounded to the last 200,000). */
  readonly log: readonly BalancerLogEntry[]
  /** Requests currently open per backend port, by path suffix (e.g. open SSE streams). */
  open(port: number, pathSuffix?: string): number
  /** Destroys every connection and stops listening. */
  close(): Promise<void>
}

export interface BalancerOptions {
  /** Bytes of a request body kept so the request can go to another backend (default 4 MiB). */
  maxReplayBytes?: number
}

const NO_BACKEND = '{"error":{"code":"INTERNAL","message":"no backend"}}'
const MAX_LOG = 200_000
/** Hop-by-hop headers (RFC 9110 §7.6.1): not forwarded. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v
  return out
}

/** A connection-level failure before any response: the request may go to another backend. */
function skippable(err: NodeJS.ErrnoException): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH'].includes(err.code ?? '') ||
    err.message === 'socket hang up'
}

export async function startBalancer(initial: Backend[], opts: BalancerOptions = {}): Promise<Balancer> {
  const maxReplay = opts.maxReplayBytes ?? 4 * 1024 * 1024
  let backends = [...initial]
  let next = 0
  const log: BalancerLogEntry[] = []
  const openCount = new Map<string, number>() // `${port} ${path}` -> open requests
  const sockets = new Set<Socket>()
  // One keep-alive agent: connections to a killed backend are reset, which counts as skippable.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!
    const sidHeader = req.headers['x-socket-sid']
    const entry: BalancerLogEntry = {
      method: req.method ?? 'GET',
      path,
      sid: typeof sidHeader === 'string' ? sidHeader : undefined,
      backend: -1,
      port: 0,
      status: 0,
      skipped: 0,
    }
    log.push(entry)
    if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG)

    // Keep the body while it streams to the first backend, so a refused request can be replayed.
    const chunks: Buffer[] = []
    let kept = 0
    let bodyDone = false
    let overflow = false
    const bodyWaiters: (() => void)[] = []
    req.on('data', (c: Buffer) => {
      if (overflow) return
      kept += c.length
      if (kept > maxReplay) {
        overflow = true
        chunks.length = 0
      } else chunks.push(c)
    })
    req.on('end', () => {
      bodyDone = true
      for (const w of bodyWaiters.splice(0)) w()
    })
    const bodyComplete = () => (bodyDone ? Promise.resolve() : new Promise<void>((r) => bodyWaiters.push(r)))

    let clientGone = false
    let current: http.ClientRequest | undefined
    res.on('close', () => {
      if (res.writableFinished) return
      clientGone = true
      current?.destroy() // the client went away: so does the upstream request
    })

    const fail = () => {
      if (res.headersSent) return void res.destroy()
      entry.backend = -1
      entry.port = 0
      entry.status = 502
      res.writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(NO_BACKEND)
    }

    let start = 0
    const attempt = (tried: number, replay: boolean) => {
      if (clientGone) return
      const list = backends
      if (tried >= list.length) return fail()
      // Round robin across requests; within one request, each backend is tried at most once.
      if (tried === 0) start = next++
      const index = (start + tried) % list.length
      const target = list[index]!
      const key = `${target.port} ${path}`
      let counted = false
      const uncount = () => {
        if (!counted) return
        counted = false
        openCount.set(key, (openCount.get(key) ?? 1) - 1)
      }
      const headers = forwardHeaders(req.headers)
      if (replay) {
        delete headers['content-length']
        if (kept > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(kept)
      }
      const up = http.request({
        host: target.host ?? '127.0.0.1',
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      })
      current = up
      entry.backend = index
      entry.port = target.port
      entry.skipped = tried
      let answered = false
      up.on('response', (upRes) => {
        answered = true
        entry.status = upRes.statusCode ?? 0
        counted = true
        openCount.set(key, (openCount.get(key) ?? 0) + 1)
        upRes.on('close', uncount)
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, forwardHeaders(upRes.headers))
        res.flushHeaders()
        upRes.on('data', (c: Buffer) => {
          // Written as it arrives: no buffering, so SSE frames flow one by one.
          if (!res.write(c)) {
            upRes.pause()
            res.once('drain', () => upRes.resume())
          }
        })
        upRes.on('end', () => res.end())
        // The backend died mid-response: the client must see a cut, not a clean end.
        upRes.on('aborted', () => res.destroy())
        upRes.on('error', () => res.destroy())
        upRes.on('close', () => {
          if (!upRes.complete) res.destroy()
        })
      })
      let errored = false
      up.on('error', (err: NodeJS.ErrnoException) => {
        uncount()
        if (errored) return
        errored = true
        if (current === up) current = undefined // stop streaming the body into it
        if (clientGone) return
        if (answered) return void res.destroy()
        if (!skippable(err) || overflow) return fail()
        // Next backend, with the whole body (wait for the rest of it first).
        void bodyComplete().then(() => attempt(tried + 1, true))
      })
      if (replay) {
        up.end(chunks.length ? Buffer.concat(chunks) : undefined)
      } else {
        req.on('data', (c: Buffer) => {
          if (current === up) up.write(c)
        })
        req.on('end', () => {
          if (current === up) up.end()
        })
        if (bodyDone) up.end()
      }
    }
    attempt(0, false)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get backends() {
      return backends
    },
    setBackends(list) {
      backends = [...list]
    },
    log,
    open(p, suffix) {
      let n = 0
      for (const [key, count] of openCount) {
        const [kp, kpath] = [Number(key.slice(0, key.indexOf(' '))), key.slice(key.indexOf(' ') + 1)]
        if (kp === p && (suffix === undefined || kpath.endsWith(suffix))) n += count
      }
      return n
    },
    async close() {
      for (const s of sockets) s.destroy()
      agent.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
