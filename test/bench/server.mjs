// One benchmark server, run as its own child process by run.mjs (node --expose-gc), so that each
// library gets a process of its own and the clients live elsewhere. Same shape for both libraries:
//
//   BENCH_LIB=socket-serve|socket.io  BENCH_REDIS=redis://127.0.0.1:PORT (optional)  node --expose-gc server.mjs
//
// Prints `LISTENING <port>` once it accepts connections. With BENCH_TLS_KEY and BENCH_TLS_CERT (PEM
// files), socket-serve is also served over HTTPS with HTTP/2 (node:http2) on a second port, printed
// first as `LISTENING_TLS <port>`: the same routes, control ones included. Events: 'echo' (acks its data), 'echo-back'
// (emits 'echoed' with its data back to the sender: the echo through the stream), 'join'
// (joins the room, acks 'ok'). Control routes, loopback only, outside the libraries' paths:
//   GET  /bench/clock                                   -> {"t": <epoch ms, sub-ms>}
//   GET  /bench/cpu                                     -> { us, streamBytes }: CPU time this process used so far,
//        and the body bytes socket-serve wrote to stream and poll (GET) responses
//   GET  /bench/stats                                   -> gc() x3, then process.memoryUsage() and "clients"
//   POST /bench/fanout?room=R&count=N&rate=MSG_PER_S    -> the server emits 'tick' {n, t} to room R
//        N times (rate 0: unpaced), then answers {"sent","ms","errors"} once every emit has returned
//   GET  /bench/page, /bench/page.js                   -> the browser part's page and bundle (BENCH_PAGE_JS)
//   POST /bench/exit                                    -> exits cleanly (so --cpu-prof writes its file)
import { readFileSync } from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import v8 from 'node:v8'
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises'

const LIB = process.env.BENCH_LIB
const REDIS_URL = process.env.BENCH_REDIS || undefined
const PAGE_JS = process.env.BENCH_PAGE_JS || undefined // the browser part's bundle (run.mjs writes it)
const MAX_RUN_MS = Number(process.env.BENCH_SERVER_MAX_MS ?? 20 * 60_000)

/** Wall-clock ms with sub-ms precision, comparable across processes on this machine. */
const now = () => performance.timeOrigin + performance.now()

let emitTick // (room, n) => Promise | void
let clientCount // () => number
let closeLib // () => Promise<void>
let server
let tlsServer
/** body bytes written to socket-serve's GET (stream and poll) responses: counted here, not in the client process */
let streamBytes = 0

async function control(req, res) {
  const url = new URL(req.url, 'http://x')
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  try {
    if (url.pathname === '/bench/clock') return reply(200, { t: now() })
    if (url.pathname === '/bench/cpu') {
      const { user, system } = process.cpuUsage()
      return reply(200, { us: user + system, streamBytes })
    }
    if (url.pathname === '/bench/stats') {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.()
        await sleep(20)
      }
      const m = process.memoryUsage()
      const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((x) => [x.space_name, { size: x.space_size, used: x.space_used_size }]))
      return reply(200, { ...m, spaces, clients: clientCount(), gc: typeof globalThis.gc === 'function' })
    }
    if (url.pathname === '/bench/fanout' && req.method === 'POST') {
      const room = url.searchParams.get('room') ?? 'bench'
      const count = Math.min(1_000_000, Number(url.searchParams.get('count') ?? 1))
      const rate = Number(url.searchParams.get('rate') ?? 0)
      return reply(200, await fanout(room, count, rate))
    }
    if (url.pathname === '/bench/echo' && req.method === 'POST') {
      // The HTTP floor: what one fetch POST costs with no library behind it.
      const chunks = []
      for await (const chunk of req) chunks.push(chunk)
      const body = Buffer.concat(chunks)
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
      return res.end(body)
    }
    if (url.pathname === '/bench/page' && PAGE_JS) {
      // The browser part: a blank page on this origin with both clients bundled (page-entry.mjs).
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      return res.end('<!doctype html><meta charset="utf-8"><title>bench</title><script src="/bench/page.js"></script>')
    }
    if (url.pathname === '/bench/page.js' && PAGE_JS) {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      return res.end(readFileSync(PAGE_JS))
    }
    if (url.pathname === '/bench/exit' && req.method === 'POST') {
      reply(200, { ok: true })
      await shutdown()
      return
    }
    reply(404, { error: 'no such bench route' })
  } catch (err) {
    reply(500, { error: String(err?.stack ?? err) })
  }
}

/** Emits `count` ticks to `room`: all at once (yielding to the loop every 100) or paced at `rate`/s. */
async function fanout(room, count, rate) {
  const pending = []
  let errors = 0
  const emit = (n) => {
    const p = emitTick(room, n)
    if (p && typeof p.then === 'function') pending.push(p.catch(() => errors++))
  }
  const start = performance.now()
  const deadline = Date.now() + 120_000
  let n = 0
  if (rate > 0) {
    while (n < count && Date.now() < deadline) {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
      while (n < due) emit(n++)
      if (n < count) await sleep(Math.max(0, (n * 1000) / rate - (performance.now() - start)))
    }
  } else {
    while (n < count && Date.now() < deadline) {
      emit(n++)
      if (n % 100 === 0) await yieldToLoop()
    }
  }
  await Promise.all(pending)
  return { sent: n, ms: performance.now() - start, errors }
}

async function startSocketServe() {
  const { serve } = await import('socket-serve')
  const io = serve(REDIS_URL ? { redisUrl: REDIS_URL } : {})
  io.onMessage('echo', (_socket, data) => data)
  // The echo through the stream: back to the sender on its own stream, no ack.
  io.onMessage('echo-back', (socket, data) => socket.emit('echoed', data))
  io.onMessage('join', async (socket, room) => {
    await socket.join(room)
    return 'ok'
  })
  // A client's burst relayed to a room (the unpaced fan-out from one client): stamped here.
  io.onMessage('relay', (_socket, msg) => io.to(msg.room).emit('tick', { n: msg.n, t: now() }))
  emitTick = (room, n) => io.to(room).emit('tick', { n, t: now() })
  clientCount = () => io.hub.streamCount
  closeLib = () => io.close()
  const middleware = io.middleware()
  const app = (req, res) => {
    if (req.url.startsWith('/bench/')) return control(req, res)
    if (req.method === 'GET') countBody(res)
    return middleware(req, res)
  }
  if (process.env.BENCH_TLS_KEY && process.env.BENCH_TLS_CERT) {
    const tls = { key: readFileSync(process.env.BENCH_TLS_KEY), cert: readFileSync(process.env.BENCH_TLS_CERT) }
    tlsServer = http2.createSecureServer({ ...tls, allowHTTP1: true }, app)
  }
  return http.createServer(app)
}

/** Counts what is written to `res`'s body (a string as its UTF-8 bytes). */
function countBody(res) {
  const count = (chunk) => {
    if (chunk) streamBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
  }
  const write = res.write
  const end = res.end
  res.write = function (chunk, ...rest) {
    count(chunk)
    return write.call(this, chunk, ...rest)
  }
  res.end = function (chunk, ...rest) {
    if (typeof chunk !== 'function') count(chunk)
    return end.call(this, chunk, ...rest)
  }
}

async function startSocketIo() {
  const { Server } = await import('socket.io')
  const httpServer = http.createServer((req, res) => control(req, res))
  const io = new Server(httpServer)
  let redis = []
  if (REDIS_URL) {
    const { Redis } = await import('ioredis')
    const { createAdapter } = await import('@socket.io/redis-adapter')
    const pub = new Redis(REDIS_URL)
    const sub = pub.duplicate()
    redis = [pub, sub]
    io.adapter(createAdapter(pub, sub))
  }
  io.on('connection', (socket) => {
    socket.on('echo', (data, ack) => ack(data))
    socket.on('echo-back', (data) => socket.emit('echoed', data))
    socket.on('join', (room, ack) => {
      socket.join(room)
      ack('ok')
    })
    socket.on('relay', (msg) => {
      io.to(msg.room).emit('tick', { n: msg.n, t: now() })
    })
  })
  emitTick = (room, n) => {
    io.to(room).emit('tick', { n, t: now() })
  }
  clientCount = () => io.engine.clientsCount
  closeLib = async () => {
    io.disconnectSockets(true)
    await new Promise((r) => io.close(() => r()))
    await Promise.allSettled(redis.map((c) => c.quit()))
  }
  return httpServer
}

let shuttingDown = false
async function shutdown() {
  if (shuttingDown) return
  shuttingDown = true
  const timer = setTimeout(() => process.exit(0), 3000)
  try {
    await closeLib?.()
    server?.closeAllConnections?.()
  } catch {
    // exiting anyway
  }
  clearTimeout(timer)
  process.exit(0)
}

if (LIB === 'socket-serve') server = await startSocketServe()
else if (LIB === 'socket.io') server = await startSocketIo()
else {
  console.error(`BENCH_LIB must be socket-serve or socket.io, not ${LIB}`)
  process.exit(2)
}
await new Promise((r) => server.listen(0, '127.0.0.1', r))
if (tlsServer) {
  await new Promise((r) => tlsServer.listen(0, '127.0.0.1', r))
  console.log(`LISTENING_TLS ${tlsServer.address().port}`)
}
process.on('SIGTERM', () => void shutdown())
process.on('SIGINT', () => void shutdown())
process.on('disconnect', () => void shutdown()) // the bench process went away
setTimeout(() => void shutdown(), MAX_RUN_MS).unref()
console.log(`LISTENING ${server.address().port}`)
