// socket-serve vs Socket.IO 4, measured in one run on one machine: figures only, never a pass/fail.
//   pnpm bench            (or: node test/bench/run.mjs after `tsc -b handler client`)
//
// Each server runs in its own child process (test/bench/server.mjs, node --expose-gc), for both
// libraries the same way; every client lives in this process. Peers of one scenario are measured
// back to back. A redis-server on a free loopback port backs the Redis variants. Loopback only;
// every loop is bounded in count and time.
//
// Peers: Socket.IO over WebSocket, Socket.IO over long-polling only, socket-serve over SSE,
// socket-serve over polling. Stores: memory, Redis (one instance), Redis with two instances
// (half the receivers on each; socket-serve: redis store, Socket.IO: @socket.io/redis-adapter).
//
// Fan-out also reports, for socket-serve, stream bytes per delivered message (every stream and poll
// body byte the servers wrote, counted there so the clients read as they would) and server CPU µs per delivered message (user +
// system of the server processes: steadier than throughput when other work shares the machine).
//
// Environment (all optional):
//   BENCH_QUICK=1         a ~1-minute smoke run (small counts)
//   BENCH_ECHO            echo round trips measured (default 2000, after BENCH_ECHO_WARMUP = 200)
//   BENCH_FANOUT          messages per fan-out run (default 2000)
//   BENCH_RECEIVERS       fan-out receivers (default 100; split in two for the two-instance setup)
//   BENCH_RATE            paced fan-out rate, messages/s (default 500)
//   BENCH_IDLE            idle clients for the memory figure and the big room (default 1000)
//   BENCH_PEERS           comma list of sio-ws,sio-polling,ss-sse,ss-polling (default all)
//   BENCH_STORES          comma list of memory,redis,redis2 (default all)
//   BENCH_PARTS           comma list of echo,fanout,idle,browser,cost (default all; cost: test/bench/cost.mjs,
//                         store commands and POSTs per message, broadcast, idle minute, reconnect;
//                         browser: both clients in Chromium pages, echo and paced fan-out)
//   BENCH_BROWSER_ECHO, BENCH_BROWSER_FANOUT, BENCH_BROWSER_RECEIVERS   the browser part's counts
//                         (default 500 round trips, 1000 messages, 4 receiving pages)
//   BENCH_MAX_MINUTES     stop starting new measurements after this long (default 14)
//   BENCH_PROFILE=DIR     run socket-serve servers under `node --cpu-prof` (files in DIR); with
//                         BENCH_PROFILE_ALL=1 the Socket.IO servers too. Summarise with
//                         `node test/bench/profile-summary.mjs DIR/<file>.cpuprofile`
//   BENCH_JSON=FILE       also write the raw results as JSON (default test-output/bench/last-run.json)
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { connect as ssConnect } from '@socket-serve/client'
import { io as sioConnect } from 'socket.io-client'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const env = process.env
const QUICK = /^(1|true)$/i.test(env.BENCH_QUICK ?? '')
const num = (name, full, quick) => Number(env[name] ?? (QUICK ? quick : full))
const list = (name, all) => (env[name] ? env[name].split(',').map((s) => s.trim()).filter((s) => all.includes(s)) : all)

const CFG = {
  echo: num('BENCH_ECHO', 2000, 200),
  echoWarmup: num('BENCH_ECHO_WARMUP', 200, 20),
  fanout: num('BENCH_FANOUT', 2000, 200),
  fanoutWarmup: num('BENCH_FANOUT_WARMUP', 200, 20),
  receivers: num('BENCH_RECEIVERS', 100, 20),
  rate: num('BENCH_RATE', 500, 500),
  idle: num('BENCH_IDLE', 1000, 100),
  browserEcho: num('BENCH_BROWSER_ECHO', 500, 100),
  browserFanout: num('BENCH_BROWSER_FANOUT', 1000, 200),
  browserReceivers: num('BENCH_BROWSER_RECEIVERS', 4, 4),
  smallRoom: 10,
  maxMs: num('BENCH_MAX_MINUTES', 14, 3) * 60_000,
}
const PEERS = [
  { id: 'sio-ws', lib: 'socket.io', transport: 'websocket', label: 'Socket.IO 4 · WebSocket' },
  { id: 'sio-polling', lib: 'socket.io', transport: 'polling', label: 'Socket.IO 4 · long-polling' },
  { id: 'ss-sse', lib: 'socket-serve', transport: 'sse', label: 'socket-serve · SSE' },
  { id: 'ss-polling', lib: 'socket-serve', transport: 'polling', label: 'socket-serve · polling' },
].filter((p) => list('BENCH_PEERS', ['sio-ws', 'sio-polling', 'ss-sse', 'ss-polling']).includes(p.id))
const STORES = list('BENCH_STORES', ['memory', 'redis', 'redis2'])
const PARTS = list('BENCH_PARTS', ['echo', 'fanout', 'idle', 'browser', 'cost'])
const STORE_LABEL = { memory: 'memory', redis: 'Redis', redis2: 'Redis, 2 instances' }
const PROFILE_DIR = env.BENCH_PROFILE ? resolve(env.BENCH_PROFILE) : undefined
const JSON_OUT = env.BENCH_JSON ?? join(ROOT, 'test-output', 'bench', 'last-run.json')
const STARTED = Date.now()
const RUN_DEADLINE = STARTED + CFG.maxMs

const log = (msg) => process.stderr.write(`[bench ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`)
/** Wall-clock ms with sub-ms precision; server.mjs stamps ticks with the same clock. */
const now = () => performance.timeOrigin + performance.now()

// ---------------------------------------------------------------- child processes
const children = new Set()
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130))

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((r) => {
    const timer = setTimeout(() => r(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      r(true)
    })
  })
}

async function freePort() {
  const srv = net.createServer()
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

// ---------------------------------------------------------------- redis
async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir(), '--protected-mode', 'no'], {
    stdio: 'ignore',
  })
  children.add(child)
  const end = Date.now() + 15_000
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`)
    try {
      if ((await redisCommand(port, 'PING')) === 'PONG') break
    } catch {
      await sleep(50)
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM')
      if (!(await waitExit(child, 5000))) child.kill('SIGKILL')
      children.delete(child)
    },
  }
}

/** One raw RESP command on a fresh connection (no client library, so it measures nothing of ours). */
function redisCommand(port, ...args) {
  return new Promise((resolvePromise, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let buf = Buffer.alloc(0)
    const done = (err, value) => {
      clearTimeout(timer)
      socket.destroy()
      err ? reject(err) : resolvePromise(value)
    }
    const timer = setTimeout(() => done(new Error(`redis ${args[0]}: no reply in 5 s`)), 5000)
    socket.once('connect', () => {
      let out = `*${args.length}\r\n`
      for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`
      socket.write(out)
    })
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      const eol = buf.indexOf('\r\n')
      if (eol === -1) return
      const type = String.fromCharCode(buf[0])
      const line = buf.toString('utf8', 1, eol)
      if (type === '+' || type === ':') return done(undefined, line)
      if (type === '-') return done(new Error(`redis ${args[0]}: ${line}`))
      if (type === '$') {
        const len = Number(line)
        if (len < 0) return done(undefined, null)
        if (buf.length >= eol + 2 + len + 2) done(undefined, buf.toString('utf8', eol + 2, eol + 2 + len))
        return
      }
      done(new Error(`redis ${args[0]}: unexpected reply type ${type}`))
    })
    socket.once('error', (e) => done(e))
  })
}

async function redisClientCount(port) {
  return String(await redisCommand(port, 'CLIENT', 'LIST'))
    .split('\n')
    .filter((l) => l.trim()).length - 1 // less the connection asking
}

/** Commands executed since the last CONFIG RESETSTAT, scripts' inner commands included. */
async function redisCommandStats(port) {
  const text = String(await redisCommand(port, 'INFO', 'commandstats'))
  const calls = {}
  for (const line of text.split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line)
    if (!m) continue
    if (/^(config|info|client)\b/.test(m[1])) continue
    calls[m[1]] = Number(m[2])
  }
  return calls
}

// ---------------------------------------------------------------- servers
let serverSeq = 0
async function startServer(lib, redisUrl, tag) {
  const args = ['--expose-gc']
  if (PROFILE_DIR && (lib === 'socket-serve' || env.BENCH_PROFILE_ALL)) {
    mkdirSync(PROFILE_DIR, { recursive: true })
    args.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${tag}-${++serverSeq}.cpuprofile`)
  }
  args.push(join(HERE, 'server.mjs'))
  const child = spawn(process.execPath, args, {
    cwd: join(ROOT, 'test'),
    env: { ...process.env, BENCH_LIB: lib, BENCH_REDIS: redisUrl ?? '', BENCH_PAGE_JS: pageBundle ?? '', ...(tag.endsWith('-browser') ? TLS_ENV : {}) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  children.add(child)
  child.stderr.setEncoding('utf8')
  let errLines = 0
  child.stderr.on('data', (d) => {
    if (errLines++ < 20) process.stderr.write(`[${lib} server] ${d}`)
  })
  let tlsPort
  const port = await new Promise((res, rej) => {
    let out = ''
    const timer = setTimeout(() => rej(new Error(`${lib} server did not start in 15 s`)), 15_000)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d) => {
      out += d
      const m = /^LISTENING (\d+)/m.exec(out)
      if (m) {
        clearTimeout(timer)
        tlsPort = Number(/^LISTENING_TLS (\d+)/m.exec(out)?.[1]) || undefined
        res(Number(m[1]))
      }
    })
    child.once('exit', (code) => rej(new Error(`${lib} server exited with ${code}`)))
  })
  const base = `http://127.0.0.1:${port}`
  return {
    lib,
    port,
    /** socket-serve's HTTPS + HTTP/2 port (the browser part), when the server has one */
    tlsPort,
    url: lib === 'socket.io' ? base : `${base}/api/socket`,
    offset: await clockOffset(port),
    async stop() {
      await control(port, 'POST', '/bench/exit').catch(() => {})
      if (!(await waitExit(child, 10_000))) child.kill('SIGKILL')
      children.delete(child)
    },
  }
}

/** The test certificate (localhost, 127.0.0.1): socket-serve's bench server adds an HTTP/2 port with it. */
const TLS_ENV = {
  BENCH_TLS_KEY: join(ROOT, 'test', 'support', 'tls', 'localhost-key.pem'),
  BENCH_TLS_CERT: join(ROOT, 'test', 'support', 'tls', 'localhost-cert.pem'),
}

const controlAgent = new http.Agent({ keepAlive: true, maxSockets: 4 })
function control(port, method, path, timeoutMs = 180_000) {
  return new Promise((res, rej) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: controlAgent, timeout: timeoutMs }, (r) => {
      let body = ''
      r.setEncoding('utf8')
      r.on('data', (d) => (body += d))
      r.on('end', () => {
        try {
          const json = JSON.parse(body)
          r.statusCode === 200 ? res(json) : rej(new Error(`${path}: ${r.statusCode} ${body}`))
        } catch (e) {
          rej(e)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error(`${path}: timed out`)))
    req.on('error', rej)
    req.end()
  })
}

/** server clock - our clock (ms), from the quickest of a few round trips. */
async function clockOffset(port) {
  let best = { rtt: Infinity, offset: 0 }
  for (let i = 0; i < 15; i++) {
    const t0 = now()
    const { t } = await control(port, 'GET', '/bench/clock')
    const t1 = now()
    if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: t - (t0 + t1) / 2 }
  }
  return best.offset
}

// ---------------------------------------------------------------- clients
/** A connected client of either library, behind one small interface. */
async function openClient(peer, server, onTick) {
  let socket
  if (peer.lib === 'socket.io') {
    socket = sioConnect(server.url, { transports: [peer.transport], forceNew: true, reconnection: false, timeout: 20_000 })
  } else {
    socket = ssConnect(server.url, { transports: [peer.transport], reconnection: false, timeout: 20_000 })
  }
  await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${peer.id}: no connect in 20 s`)), 20_000)
    socket.once('connect', () => {
      clearTimeout(timer)
      res()
    })
    socket.once('connect_error', (err) => {
      clearTimeout(timer)
      rej(err)
    })
  })
  if (onTick) socket.on('tick', onTick)
  return {
    ack:
      peer.lib === 'socket.io'
        ? (event, data) => socket.timeout(10_000).emitWithAck(event, data)
        : (event, data) => socket.emitWithAck(event, data, { timeout: 10_000 }),
    emit: (event, data) => socket.emit(event, data),
    on: (event, fn) => socket.on(event, fn),
    close: () => socket.disconnect(),
  }
}

/** Opens `n` clients, `concurrency` at a time. */
async function openClients(n, peer, serverOf, onTickOf, concurrency = 25) {
  const out = new Array(n)
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      out[i] = await openClient(peer, serverOf(i), onTickOf?.(i))
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker))
  return out
}

async function inBatches(items, fn, concurrency = 25) {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}

async function closeClients(clients) {
  for (const c of clients) if (c) c.close()
  await sleep(300)
}

// ---------------------------------------------------------------- statistics
function percentiles(values, ps) {
  const sorted = Float64Array.from(values).sort()
  return ps.map((p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN))
}

// ---------------------------------------------------------------- measurements
async function measureEcho(client) {
  return measureRoundTrips((i) => client.ack('echo', { i, text: 'hello' }))
}

/**
 * The echo through the stream: the client emits 'echo-back' (no ack), the server's handler emits
 * 'echoed' back to that socket, and the time runs until the client's stream delivers it. This is
 * what a chat message costs its sender (emit -> handler -> socket.emit -> client), not the ack.
 */
async function measureStreamEcho(client) {
  let waiting
  client.on('echoed', (msg) => {
    if (waiting && msg?.i === waiting.i) {
      const w = waiting
      waiting = undefined
      w.resolve()
    }
  })
  return measureRoundTrips(
    (i) =>
      new Promise((resolvePromise, reject) => {
        const timer = setTimeout(() => reject(new Error(`stream echo ${i}: nothing in 10 s`)), 10_000)
        waiting = {
          i,
          resolve: () => {
            clearTimeout(timer)
            resolvePromise()
          },
        }
        client.emit('echo-back', { i, text: 'hello' })
      }),
  )
}

/** The same round trips as a bare fetch POST to a node:http echo in the server process: HTTP's own cost. */
async function measureHttpFloor(server) {
  const url = `http://127.0.0.1:${server.port}/bench/echo`
  const post = (i) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i, text: 'hello' }) }).then((r) => r.text())
  return measureRoundTrips(post)
}

async function measureRoundTrips(roundTrip) {
  for (let i = 0; i < CFG.echoWarmup; i++) await roundTrip(i)
  const times = []
  const end = Date.now() + 120_000
  for (let i = 0; i < CFG.echo && Date.now() < end; i++) {
    const t = performance.now()
    await roundTrip(i)
    times.push(performance.now() - t)
  }
  const [p50, p90, p99] = percentiles(times, [50, 90, 99])
  return { n: times.length, p50, p90, p99 }
}

/**
 * A fan-out run: the sender server emits `count` ticks to the room; every receiver records
 * latency (receive time - server stamp, corrected by the measured clock offset), duplicates,
 * reordering and what never arrived.
 */
function fanoutState(receivers) {
  let run
  return {
    onTickOf: (r) => (msg) => run?.tick(r, msg),
    /** `from`: a client that emits the `count` messages unpaced, relayed by its server (else the server emits) */
    async run(sender, servers, count, rate, room = 'bench', from) {
      const expected = count * receivers
      const seen = Array.from({ length: receivers }, () => new Uint8Array(count))
      const maxSeen = new Int32Array(receivers).fill(-1)
      const latencies = new Float64Array(expected)
      // per message: when its first and its last receiver got it (server-side vs client-side cost)
      const firstAt = new Float64Array(count).fill(Infinity)
      const lastAt = new Float64Array(count).fill(-Infinity)
      let unique = 0
      let duplicated = 0
      let reordered = 0
      let last = 0
      run = {
        tick(r, { n, t }) {
          const at = now()
          if (!(n >= 0 && n < count)) return
          if (seen[r][n]) {
            duplicated++
            return
          }
          seen[r][n] = 1
          if (n < maxSeen[r]) reordered++
          else maxSeen[r] = n
          // the stamp is the sender's clock: bring it to ours
          const latency = at - (t - sender.offset)
          latencies[unique++] = latency
          if (latency < firstAt[n]) firstAt[n] = latency
          if (latency > lastAt[n]) lastAt[n] = latency
          last = at
        },
      }
      const start = now()
      // CPU time and (socket-serve) stream body bytes, counted by the servers: nothing extra in this process's reads
      const cpuOf = () => Promise.all(servers.map((s) => control(s.port, 'GET', '/bench/cpu')))
      const cpuBefore = await cpuOf()
      let sent
      if (from) {
        const t0 = performance.now()
        for (let n = 0; n < count; n++) from.emit('relay', { room, n })
        sent = { errors: 0, ms: performance.now() - t0 }
      } else sent = await control(sender.port, 'POST', `/bench/fanout?room=${room}&count=${count}&rate=${rate}`)
      let progressAt = Date.now()
      let lastUnique = -1
      const deadline = Date.now() + 60_000
      while (unique < expected && Date.now() < deadline && Date.now() - progressAt < 3000) {
        if (unique !== lastUnique) {
          lastUnique = unique
          progressAt = Date.now()
        }
        await sleep(10)
      }
      run = undefined
      const cpuAfter = await cpuOf()
      const cpuUs = cpuAfter.reduce((sum, c, i) => sum + c.us - cpuBefore[i].us, 0)
      const streamBytes = cpuAfter.reduce((sum, c, i) => sum + (c.streamBytes ?? 0) - (cpuBefore[i].streamBytes ?? 0), 0)
      const [p50, p99] = percentiles(latencies.subarray(0, unique), [50, 99])
      const [firstP50] = percentiles(firstAt.filter(Number.isFinite), [50])
      const [lastP50] = percentiles(lastAt.filter(Number.isFinite), [50])
      return {
        n: unique,
        p50,
        p99,
        firstP50,
        lastP50,
        perSecond: unique / (((last || now()) - start) / 1000),
        // socket-serve only: stream and poll body bytes the servers wrote (heartbeats included) per delivered message
        bytesPerFrame: streamBytes > 0 ? streamBytes / unique : undefined,
        // server CPU (user + system, every instance) per delivered message: steadier than wall time on a busy machine
        cpuUsPerDelivery: unique ? cpuUs / unique : undefined,
        lost: expected - unique,
        duplicated,
        reordered,
        sendErrors: sent.errors,
        sendMs: sent.ms,
      }
    },
  }
}

async function withServers(peer, store, redis, n, tag, fn) {
  if (redis) await redisCommand(redis.port, 'FLUSHALL')
  const servers = []
  try {
    for (let i = 0; i < n; i++) servers.push(await startServer(peer.lib, store === 'memory' ? undefined : redis.url, `${peer.id}-${store}-${tag}${n > 1 ? `-i${i}` : ''}`))
    return await fn(servers)
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

/** Echo, then unpaced and paced fan-out, on one server (two for redis2). */
async function measureTraffic(peer, store, redis) {
  const out = {}
  const instances = store === 'redis2' ? 2 : 1
  await withServers(peer, store, redis, instances, 'traffic', async (servers) => {
    if (PARTS.includes('echo') && store !== 'redis2') {
      const c = await openClient(peer, servers[0])
      out.echo = await measureEcho(c)
      await closeClients([c])
      log(`${peer.id} ${store} echo p50 ${out.echo.p50.toFixed(3)} ms`)
      const s = await openClient(peer, servers[0])
      out.streamEcho = await measureStreamEcho(s)
      await closeClients([s])
      log(`${peer.id} ${store} echo through the stream p50 ${out.streamEcho.p50.toFixed(3)} ms`)
      if (peer.id === 'ss-sse' && store === 'memory') {
        httpFloor = await measureHttpFloor(servers[0])
        log(`http floor echo p50 ${httpFloor.p50.toFixed(3)} ms`)
      }
    }
    if (PARTS.includes('fanout')) {
      const state = fanoutState(CFG.receivers)
      const receivers = await openClients(CFG.receivers, peer, (i) => servers[i % instances], state.onTickOf)
      await inBatches(receivers, (c) => c.ack('join', 'bench'))
      await sleep(200)
      await state.run(servers[0], servers, CFG.fanoutWarmup, 0) // warm-up, discarded
      await sleep(200)
      out.unpaced = await state.run(servers[0], servers, CFG.fanout, 0)
      log(`${peer.id} ${store} fan-out unpaced ${Math.round(out.unpaced.perSecond)}/s lost ${out.unpaced.lost}${out.unpaced.bytesPerFrame ? `, ${out.unpaced.bytesPerFrame.toFixed(1)} bytes/frame` : ''}`)
      await sleep(200)
      out.paced = await state.run(servers[0], servers, CFG.fanout, CFG.rate)
      log(`${peer.id} ${store} fan-out paced p50 ${out.paced.p50.toFixed(3)} ms lost ${out.paced.lost}`)
      // The same burst emitted by one client (not in the room), unpaced: its server relays each message.
      const sender = await openClient(peer, servers[0])
      await sleep(200)
      out.fromClient = await state.run(servers[0], servers, CFG.fanout, 0, 'bench', sender)
      log(`${peer.id} ${store} fan-out from one client ${Math.round(out.fromClient.perSecond)}/s lost ${out.fromClient.lost} dup ${out.fromClient.duplicated} reord ${out.fromClient.reordered}`)
      await closeClients([sender, ...receivers])
    }
  })
  return out
}

/** RSS per idle client; with Redis also connections per client and commands per room broadcast. */
async function measureIdle(peer, store, redis) {
  const out = {}
  await withServers(peer, store, redis, 1, 'idle', async ([server]) => {
    let got = 0
    const onTick = () => () => got++
    // Warm-up: the same crowd connects and leaves once, so the baseline already has the heap V8 grows
    // for a connection storm (its young generation alone grows by ~24 MiB on Node 20, which would
    // otherwise read as ~24 KiB per client at 1,000 clients) and every code path is compiled.
    const cold = await control(server.port, 'GET', '/bench/stats')
    const warm = await openClients(CFG.idle, peer, () => server, onTick)
    await inBatches(warm.slice(0, 10), (c) => c.ack('echo', 'hi'))
    await closeClients(warm)
    await sleep(1500)
    const base = await control(server.port, 'GET', '/bench/stats')
    const redisBase = redis ? await redisClientCount(redis.port) : 0

    const clients = await openClients(CFG.idle, peer, () => server, onTick)
    const end = Date.now() + 30_000
    let stats
    for (;;) {
      await sleep(1000)
      stats = await control(server.port, 'GET', '/bench/stats')
      if (stats.clients >= CFG.idle || Date.now() > end) break
    }
    out.kibPerClient = (stats.rss - base.rss) / 1024 / CFG.idle
    out.coldKibPerClient = (stats.rss - cold.rss) / 1024 / CFG.idle // baseline taken before the warm-up crowd
    out.heapKibPerClient = (stats.heapUsed - base.heapUsed) / 1024 / CFG.idle
    out.serverClients = stats.clients
    // where the RSS went, per client: V8 heap reserved/used, memory outside the heap
    out.perClientKiB = Object.fromEntries(['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'].map((k) => [k, (stats[k] - base[k]) / 1024 / CFG.idle]))
    out.spaces = { base: base.spaces, idle: stats.spaces }
    out.rssBase = base.rss
    out.rssIdle = stats.rss
    log(`${peer.id} ${store} idle: ${out.kibPerClient.toFixed(1)} KiB/client (server sees ${stats.clients})`)
    if (redis) {
      out.redisConnsPerClient = ((await redisClientCount(redis.port)) - redisBase) / CFG.idle
      // Rooms: the first 10 clients in 'small', everyone in 'big'.
      await inBatches(clients.slice(0, CFG.smallRoom), (c) => c.ack('join', 'small'))
      await inBatches(clients, (c) => c.ack('join', 'big'))
      await sleep(1000)
      out.commands = {}
      for (const [room, members] of [
        ['small', Math.min(CFG.smallRoom, CFG.idle)],
        ['big', CFG.idle],
      ]) {
        got = 0
        await redisCommand(redis.port, 'CONFIG', 'RESETSTAT')
        await control(server.port, 'POST', `/bench/fanout?room=${room}&count=1&rate=0`)
        const until = Date.now() + 10_000
        while (got < members && Date.now() < until) await sleep(10)
        await sleep(300) // let whatever the deliveries cause reach Redis too
        const calls = await redisCommandStats(redis.port)
        const total = Object.values(calls).reduce((a, b) => a + b, 0)
        out.commands[members] = { total, calls, delivered: got }
        log(`${peer.id} ${store} one broadcast to ${members}: ${total} Redis commands, delivered ${got}`)
      }
    }
    await closeClients(clients)
  })
  return out
}

// ---------------------------------------------------------------- browser
// The clients in real Chromium pages (playwright-core, /usr/bin/chromium): both libraries bundled by
// esbuild from page-entry.mjs and served by the bench server itself, so page and library share an
// origin. One page measures the echo (ack, then through the stream); BENCH_BROWSER_RECEIVERS pages
// (default 4: Chromium keeps 6 HTTP/1.1 connections per origin, and each SSE stream holds one)
// receive a paced fan-out from the server. socket-serve is measured a second time over HTTPS with
// HTTP/2 (its bench server's second port, the test certificate): one connection for all of it.
let pageBundle
let browser
async function preparePages() {
  const { build } = await import('esbuild')
  const outfile = join(ROOT, 'test-output', 'bench', 'page.js')
  await build({ entryPoints: [join(HERE, 'page-entry.mjs')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, outfile, logLevel: 'warning' })
  pageBundle = outfile
  const { chromium } = await import('playwright-core')
  browser = await chromium.launch({
    executablePath: env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

async function measureBrowser(peer, store, redis) {
  const out = {}
  await withServers(peer, store, redis, 1, 'browser', async ([server]) => {
    const context = await browser.newContext()
    try {
      Object.assign(out, await measurePages(context, `http://127.0.0.1:${server.port}`, server.url, peer, server))
    } finally {
      await context.close()
    }
    // socket-serve over HTTPS with HTTP/2 (the server's second port): what a platform that speaks
    // HTTP/2 to browsers gives, every stream and POST of the origin on one connection.
    if (server.tlsPort) {
      const h2 = await browser.newContext({ ignoreHTTPSErrors: true }) // the test certificate is self-signed
      try {
        const origin = `https://127.0.0.1:${server.tlsPort}`
        out.h2 = await measurePages(h2, origin, `${origin}/api/socket`, peer, server, 'h2')
      } finally {
        await h2.close()
      }
    }
  })
  return out
}

/** Echo (ack, through the stream, bare fetch) in one page of `origin`, then paced fan-out to a few. */
async function measurePages(context, origin, url, peer, server, tag = '') {
  const out = {}
  const name = `${peer.id}${tag ? ` ${tag}` : ''}`
  const openPage = async () => {
    const page = await context.newPage()
    await page.goto(`${origin}/bench/page`)
    await page.evaluate(([lib, transport, url]) => window.bench.connect(lib, transport, url), [peer.lib, peer.transport, url])
    return page
  }
  const summary = (times) => {
    const [p50, p90, p99] = percentiles(times, [50, 90, 99])
    return { n: times.length, p50, p90, p99 }
  }
  const echoPage = await openPage()
  out.echo = summary(await echoPage.evaluate(([n, w]) => window.bench.echo(n, w), [CFG.browserEcho, CFG.echoWarmup]))
  out.streamEcho = summary(await echoPage.evaluate(([n, w]) => window.bench.streamEcho(n, w), [CFG.browserEcho, CFG.echoWarmup]))
  // The page's HTTP floor: a bare fetch POST, beside the page's stream (socket-serve) or socket.
  out.floor = summary(await echoPage.evaluate(([n, w]) => window.bench.floor(n, w), [CFG.browserEcho, CFG.echoWarmup]))
  // The protocol Chromium spoke (the resource timing buffer is full by now: clear it, fetch once more).
  out.protocol = await echoPage.evaluate(async () => {
    performance.clearResourceTimings()
    await (await fetch('/bench/clock')).text()
    for (let i = 0; i < 50; i++) {
      const entry = performance.getEntriesByType('resource').find((e) => e.name.includes('/bench/clock'))
      if (entry) return entry.nextHopProtocol
      await new Promise((r) => setTimeout(r, 10))
    }
  })
  await echoPage.evaluate(() => window.bench.close())
  await echoPage.close()
  log(`${name} browser (${out.protocol}) echo p50 ${out.echo.p50.toFixed(3)} ms, through the stream ${out.streamEcho.p50.toFixed(3)} ms, bare fetch POST ${out.floor.p50.toFixed(3)} ms`)

  const pages = []
  for (let i = 0; i < CFG.browserReceivers; i++) pages.push(await openPage())
  for (const p of pages) {
    await p.evaluate(() => window.bench.join('browser'))
    await p.evaluate(() => window.bench.clockOffset())
  }
  const run = async (count) => {
    for (const p of pages) await p.evaluate((c) => window.bench.startTicks(c), count)
    await control(server.port, 'POST', `/bench/fanout?room=browser&count=${count}&rate=${CFG.rate}`)
    const expected = count * pages.length
    const deadline = Date.now() + 30_000
    let results
    for (;;) {
      results = await Promise.all(pages.map((p) => p.evaluate(() => window.bench.ticks())))
      const got = results.reduce((n, r) => n + r.latencies.length, 0)
      if (got >= expected || Date.now() > deadline) break
      await sleep(100)
    }
    const latencies = results.flatMap((r) => r.latencies)
    const [p50, p99] = percentiles(latencies, [50, 99])
    return {
      n: latencies.length,
      p50,
      p99,
      lost: expected - latencies.length,
      duplicated: results.reduce((n, r) => n + r.duplicated, 0),
      reordered: results.reduce((n, r) => n + r.reordered, 0),
    }
  }
  await run(CFG.fanoutWarmup)
  out.paced = await run(CFG.browserFanout)
  log(`${name} browser paced fan-out p50 ${out.paced.p50.toFixed(3)} ms lost ${out.paced.lost}`)
  for (const p of pages) {
    await p.evaluate(() => window.bench.close())
    await p.close()
  }
  return out
}

function printBrowser(results) {
  const lines = []
  for (const store of STORES) {
    const base = results[store]?.['sio-ws']?.browser
    for (const peer of PEERS) {
      const measured = results[store]?.[peer.id]?.browser
      if (!measured) continue
      const vs = (a, b) => (a && b && peer.id !== 'sio-ws' ? ` (${(a / b).toFixed(2)}x)` : '')
      const rows = [[peer.label, measured]]
      if (measured.h2) rows.push([`${peer.label} over HTTP/2 (TLS)`, measured.h2])
      for (const [label, r] of rows) {
        lines.push(
          `| ${label} | ${STORE_LABEL[store]} | ${f3(r.echo.p50)} / ${f3(r.echo.p99)}${vs(r.echo.p50, base?.echo.p50)} | ${f3(r.streamEcho.p50)} / ${f3(r.streamEcho.p99)}${vs(r.streamEcho.p50, base?.streamEcho.p50)} | ${f3(r.floor?.p50)} | ${f3(r.paced?.p50)} / ${f3(r.paced?.p99)}${vs(r.paced?.p50, base?.paced?.p50)} | ${losses(r.paced)} |`,
        )
      }
    }
  }
  if (!lines.length) return
  console.log(
    `\n### In Chromium (${browserVersion}): the clients in real pages\n\nEcho: ${CFG.browserEcho} round trips in one page; paced fan-out: ${CFG.browserFanout} messages at ${CFG.rate}/s from the server to ${CFG.browserReceivers} pages. Ratios against Socket.IO over WebSocket in the same run.\n`,
  )
  console.log('| peer | store | echo by ack p50 / p99 ms | echo through the stream p50 / p99 ms | bare fetch POST p50 ms (the page\'s HTTP floor) | paced fan-out p50 / p99 ms | lost / dup / reord |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  console.log(lines.join('\n') + '\n')
}

// ---------------------------------------------------------------- report
const f3 = (ms) => (ms === undefined || Number.isNaN(ms) ? '—' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1))
const fk = (n) => (n === undefined ? '—' : Math.round(n).toLocaleString('en-US'))
const triple = (a, b, c) => `${f3(a)} / ${f3(b)} / ${f3(c)}`
const losses = (r) => (r ? `${r.lost} / ${r.duplicated} / ${r.reordered}` : '—')

function printTable(results) {
  const rows = [
    `| peer | store | echo p50 / p90 / p99 ms | fan-out unpaced deliveries/s | unpaced p50 / p99 ms | unpaced lost / dup / reord | fan-out paced p50 / p99 ms | paced deliveries/s | paced lost / dup / reord | KiB per idle client | Redis conns per idle client | Redis cmds per broadcast, ${Math.min(CFG.smallRoom, CFG.idle)} → ${CFG.idle} members |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const store of STORES) {
    for (const peer of PEERS) {
      const r = results[store]?.[peer.id]
      if (!r) continue
      const cmds = r.idle?.commands
      rows.push(
        [
          '',
          peer.label,
          store === 'redis2' ? `Redis, 2 instances (${Math.ceil(CFG.receivers / 2)} + ${Math.floor(CFG.receivers / 2)})` : STORE_LABEL[store],
          r.echo ? triple(r.echo.p50, r.echo.p90, r.echo.p99) : '—',
          fk(r.unpaced?.perSecond),
          r.unpaced ? `${f3(r.unpaced.p50)} / ${f3(r.unpaced.p99)}` : '—',
          losses(r.unpaced),
          r.paced ? `${f3(r.paced.p50)} / ${f3(r.paced.p99)}` : '—',
          fk(r.paced?.perSecond),
          losses(r.paced),
          r.idle ? r.idle.kibPerClient.toFixed(1) : '—',
          r.idle?.redisConnsPerClient !== undefined ? r.idle.redisConnsPerClient.toFixed(3) : '—',
          cmds ? `${cmds[Math.min(CFG.smallRoom, CFG.idle)]?.total ?? '—'} → ${cmds[CFG.idle]?.total ?? '—'}` : '—',
          '',
        ].join(' | ').trim(),
      )
    }
  }
  console.log(rows.join('\n'))
}

function printRatios(results) {
  const ratio = (a, b) => (a === undefined || b === undefined || !b ? undefined : a / b)
  const fx = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x.toFixed(2)}x`)
  const verdict = (ok) => (ok === undefined ? '' : ok ? ' — meets' : ' — MISSES')
  console.log('\n### Against the DESIGN §8 targets (socket-serve ÷ Socket.IO over WebSocket, same store, same run)\n')
  for (const store of STORES) {
    const base = results[store]?.['sio-ws']
    if (!base) continue
    console.log(`**${STORE_LABEL[store]}**`)
    for (const id of ['ss-sse', 'ss-polling']) {
      const r = results[store]?.[id]
      if (!r) continue
      const label = id === 'ss-sse' ? 'SSE' : 'polling'
      const echo = ratio(r.echo?.p50, base.echo?.p50)
      const dps = ratio(r.unpaced?.perSecond, base.unpaced?.perSecond)
      const paced = ratio(r.paced?.p50, base.paced?.p50)
      const parts = []
      if (echo !== undefined) parts.push(`echo p50 ${fx(echo)} (target ≤ 2x${verdict(echo <= 2)})`)
      if (dps !== undefined) parts.push(`fan-out deliveries/s ${fx(dps)} (target ≥ 1.0x${verdict(dps >= 1)})`)
      if (paced !== undefined) parts.push(`paced fan-out p50 ${fx(paced)} (target ≤ 1.0x${verdict(paced <= 1)})`)
      const streamEcho = ratio(r.streamEcho?.p50, base.streamEcho?.p50)
      if (streamEcho !== undefined) parts.push(`echo through the stream p50 ${fx(streamEcho)} (target ≤ 2x${verdict(streamEcho <= 2)})`)
      const kib = ratio(r.idle?.kibPerClient, base.idle?.kibPerClient)
      if (kib !== undefined) parts.push(`RSS per idle client ${fx(kib)} of Socket.IO WS (target ≤ 1.0x${verdict(kib <= 1)})`)
      if (r.idle) parts.push(`${r.idle.kibPerClient.toFixed(1)} KiB per idle client (target ≤ 16${verdict(r.idle.kibPerClient <= 16)}; Socket.IO WS ${base.idle ? base.idle.kibPerClient.toFixed(1) : 'n/a'})`)
      if (r.idle?.redisConnsPerClient !== undefined) parts.push(`${r.idle.redisConnsPerClient.toFixed(3)} Redis connections per idle client (target 0${verdict(r.idle.redisConnsPerClient === 0)})`)
      const cmds = r.idle?.commands
      if (cmds) {
        const small = cmds[Math.min(CFG.smallRoom, CFG.idle)]?.total
        const big = cmds[CFG.idle]?.total
        parts.push(`Redis commands per broadcast ${small} at ${Math.min(CFG.smallRoom, CFG.idle)} members, ${big} at ${CFG.idle} (target O(1)${verdict(big !== undefined && small !== undefined && big <= small + 2)})`)
      }
      console.log(`- ${label}: ${parts.join('; ')}`)
    }
    console.log('')
  }
}

/** The unpaced burst from one client, relayed by the server to the room. */
function printFromClient(results) {
  const lines = []
  for (const store of STORES) {
    for (const peer of PEERS) {
      const r = results[store]?.[peer.id]?.fromClient
      if (r) lines.push(`- ${peer.label} (${STORE_LABEL[store]}): ${fk(r.perSecond)} deliveries/s, p50 / p99 ${f3(r.p50)} / ${f3(r.p99)} ms, lost / dup / reord ${losses(r)}`)
    }
  }
  if (lines.length) console.log(`\n### Unpaced fan-out from one client (${CFG.fanout} emits, relayed to ${CFG.receivers} receivers)\n\n${lines.join('\n')}`)
}

function printCommandDetails(results) {
  const lines = []
  for (const store of STORES) {
    for (const peer of PEERS) {
      const cmds = results[store]?.[peer.id]?.idle?.commands
      if (!cmds) continue
      for (const [members, c] of Object.entries(cmds)) {
        const top = Object.entries(c.calls)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 8)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ')
        lines.push(`- ${peer.label}, ${members} members (delivered ${c.delivered}): ${c.total} — ${top || 'none'}`)
      }
    }
  }
  const mem = []
  for (const store of STORES) {
    for (const peer of PEERS) {
      const idle = results[store]?.[peer.id]?.idle
      if (idle) mem.push(`${peer.label} (${STORE_LABEL[store]}): ${idle.kibPerClient.toFixed(1)} KiB RSS, ${idle.perClientKiB.heapUsed.toFixed(1)} KiB V8 heap used; ${idle.coldKibPerClient.toFixed(1)} KiB RSS against a cold baseline`)
    }
  }
  if (mem.length) {
    console.log(
      `Memory per idle client (${CFG.idle} clients; baseline after the same crowd connected and left once, so heap growth V8 keeps after any connection storm is not charged to the clients — the cold figure, against a baseline taken before any client, includes it and any lazily loaded code):\n${mem.map((l) => `- ${l}`).join('\n')}\n`,
    )
  }
  if (lines.length) console.log(`Redis commands per broadcast, by command (inner commands of Lua scripts counted too):\n${lines.join('\n')}\n`)
}

/** Where paced latency goes: how soon a message reaches its first receiver, and how long until its last. */
function printPacedSpread(results) {
  const lines = []
  for (const store of STORES) {
    for (const peer of PEERS) {
      const paced = results[store]?.[peer.id]?.paced
      if (paced?.firstP50 !== undefined) lines.push(`- ${peer.label} (${STORE_LABEL[store]}): first ${f3(paced.firstP50)} ms, last ${f3(paced.lastP50)} ms`)
    }
  }
  if (lines.length) {
    console.log(
      `Paced fan-out, per message, p50 over messages of the latency of its first and of its last receiver (all receivers share the bench process: the spread is the server writing and this process reading every stream, one after another):\n${lines.join('\n')}\n`,
    )
  }
}

function printFrameBytes(results) {
  const lines = []
  const cpu = []
  for (const store of STORES) {
    for (const peer of PEERS) {
      const r = results[store]?.[peer.id]
      if (r?.unpaced?.bytesPerFrame) lines.push(`- ${peer.label} (${STORE_LABEL[store]}): ${r.unpaced.bytesPerFrame.toFixed(1)} unpaced, ${r.paced?.bytesPerFrame?.toFixed(1) ?? '—'} paced`)
      if (r?.unpaced?.cpuUsPerDelivery) cpu.push(`- ${peer.label} (${STORE_LABEL[store]}): ${r.unpaced.cpuUsPerDelivery.toFixed(2)} unpaced, ${r.paced?.cpuUsPerDelivery?.toFixed(2) ?? '—'} paced`)
    }
  }
  if (lines.length) console.log(`Stream bytes per delivered fan-out message (stream and poll body bytes the servers wrote ÷ messages; a tick's data line is ~45 bytes):\n${lines.join('\n')}\n`)
  if (cpu.length) console.log(`Server CPU µs per delivered fan-out message (user + system of every server process, ÷ deliveries):\n${cpu.join('\n')}\n`)
}

/** Echo by ack vs echo through the stream, each against Socket.IO over WebSocket on the same store. */
function printStreamEcho(results) {
  const lines = []
  for (const store of STORES) {
    const base = results[store]?.['sio-ws']
    for (const peer of PEERS) {
      const r = results[store]?.[peer.id]
      if (!r?.streamEcho) continue
      const vs = (a, b) => (a && b ? ` (${(a / b).toFixed(2)}x Socket.IO WS)` : '')
      lines.push(
        `- ${peer.label} (${STORE_LABEL[store]}): ack ${triple(r.echo?.p50, r.echo?.p90, r.echo?.p99)}${vs(r.echo?.p50, base?.echo?.p50)}; ` +
          `through the stream ${triple(r.streamEcho.p50, r.streamEcho.p90, r.streamEcho.p99)}${vs(r.streamEcho.p50, base?.streamEcho?.p50)}`,
      )
    }
  }
  if (lines.length) console.log(`Echo p50 / p90 / p99 ms, by ack and through the stream (emit -> handler -> socket.emit back -> the client's stream):\n${lines.join('\n')}\n`)
}

function printHttpFloor(results) {
  if (!httpFloor) return
  const times = (echo) => (echo ? `${(echo.p50 / httpFloor.p50).toFixed(2)}x` : '—')
  console.log(
    `HTTP floor (echo): a bare fetch POST to a node:http echo in the same server process, same client process: ${f3(httpFloor.p50)} / ${f3(httpFloor.p90)} / ${f3(httpFloor.p99)} ms (p50 / p90 / p99). ` +
      `Echo p50 against it: socket-serve SSE ${times(results.memory?.['ss-sse']?.echo)}, Socket.IO WebSocket ${times(results.memory?.['sio-ws']?.echo)}.\n`,
  )
}

// ---------------------------------------------------------------- main
const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU'
log(`${cpu} x${os.cpus().length}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}${QUICK ? ' (BENCH_QUICK)' : ''}`)
const loadBefore = os.loadavg()
const needRedis = STORES.some((s) => s !== 'memory')
const redis = needRedis ? await startRedis() : undefined
if (PARTS.includes('browser')) await preparePages()
const results = {}
const skipped = []
let httpFloor // { p50, p90, p99 } of bare fetch POSTs, measured beside socket-serve's memory echo
try {
  for (const store of STORES) {
    results[store] = {}
    const wantTraffic = PARTS.includes('fanout') || (PARTS.includes('echo') && store !== 'redis2')
    const wantIdle = PARTS.includes('idle') && store !== 'redis2'
    const wantBrowser = PARTS.includes('browser') && store !== 'redis2'
    // Scenario by scenario, the four peers back to back.
    for (const [what, want, fn] of [
      ['traffic', wantTraffic, measureTraffic],
      ['idle', wantIdle, measureIdle],
      ['browser', wantBrowser, measureBrowser],
    ]) {
      if (!want) continue
      for (const peer of PEERS) {
        if (Date.now() > RUN_DEADLINE) {
          skipped.push(`${peer.id}/${store}/${what}`)
          continue
        }
        try {
          const r = await fn(peer, store, store === 'memory' ? undefined : redis)
          results[store][peer.id] = { ...results[store][peer.id], ...(what === 'traffic' ? r : { [what]: r }) }
        } catch (err) {
          log(`${peer.id} ${store} ${what} FAILED: ${err?.stack ?? err}`)
          skipped.push(`${peer.id}/${store}/${what} (failed: ${err?.message ?? err})`)
        }
      }
    }
  }
} finally {
  await redis?.stop()
}
const browserVersion = browser?.version()
await browser?.close()

const minutes = ((Date.now() - STARTED) / 60_000).toFixed(1)
console.log(`\n## socket-serve vs Socket.IO 4\n`)
console.log(`Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`)
console.log(`Load average (1/5/15 min): ${loadBefore.map((l) => l.toFixed(2)).join(' / ')} at start, ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')} at end; run took ${minutes} min${QUICK ? ' (BENCH_QUICK: small counts, figures are a smoke test only)' : ''}`)
console.log(
  `Echo: ${CFG.echo} sequential emit-with-ack round trips after ${CFG.echoWarmup} warm-up. Fan-out: ${CFG.receivers} receivers, ${CFG.fanout} messages from the server process (unpaced, and paced at ${CFG.rate}/s); latency = receive time - server stamp (clock offset measured). Idle: ${CFG.idle} clients, server RSS after gc(). Servers in their own processes, clients in the bench process, default options of both libraries.\n`,
)
printTable(results)
printRatios(results)
printStreamEcho(results)
printHttpFloor(results)
printPacedSpread(results)
printFromClient(results)
printBrowser(results)
printFrameBytes(results)
printCommandDetails(results)
if (skipped.length) console.log(`Not measured: ${skipped.join(', ')}\n`)
if (PARTS.includes('cost')) {
  // Its own process: it runs the server in-process to count the store's calls.
  const child = spawn(process.execPath, [join(HERE, 'cost.mjs')], { stdio: 'inherit', env })
  children.add(child)
  await new Promise((r) => child.once('exit', r))
  children.delete(child)
}
try {
  mkdirSync(dirname(JSON_OUT), { recursive: true })
  writeFileSync(JSON_OUT, JSON.stringify({ machine: { cpu, cores: os.cpus().length, node: process.version, loadBefore, loadAfter: os.loadavg() }, config: CFG, results, skipped }, null, 2))
} catch (err) {
  log(`could not write ${JSON_OUT}: ${err}`)
}
process.exit(0)
