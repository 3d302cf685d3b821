// What socket-serve costs in store commands and requests, measured on a real redis-server:
//   node test/bench/cost.mjs        (after `tsc -b handler client`; `pnpm bench` runs it too)
//
// Two counts per figure:
//   calls     requests the store sends (EVALSHA, HGETALL, SUBSCRIBE...): what Upstash bills,
//             one per command, a script being one command
//   redis     commands Redis runs (INFO commandstats), the commands inside scripts included
// Upstash runs the same scripts, so its billed commands are the calls, less SUBSCRIBE/UNSUBSCRIBE:
// the Upstash store listens on one pattern stream per instance instead (printed as "Upstash").
//
// The server runs in this process (node:http + io.middleware()), clients too (@socket-serve/client
// over Node's fetch), product defaults except where a row says otherwise. Loopback only; every
// loop is bounded.
//
// Environment: BENCH_QUICK=1 (smaller rooms, 25 s idle window), BENCH_COST_BIG (big room, default
// 1000), BENCH_COST_IDLE_S (idle window, default 75 s: three keep-alives, one per heartbeat = 25 s
// at the defaults; a window that is not a multiple of 25 s over- or under-counts),
// BENCH_COST_JSON=FILE (raw results).
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { connect } from '@socket-serve/client'
import { serve } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(HERE, '..', '..')
const env = process.env
const QUICK = /^(1|true)$/i.test(env.BENCH_QUICK ?? '')
const BIG = Number(env.BENCH_COST_BIG ?? (QUICK ? 200 : 1000))
const IDLE_S = Number(env.BENCH_COST_IDLE_S ?? (QUICK ? 25 : 75))
const JSON_OUT = env.BENCH_COST_JSON ?? join(ROOT, 'test-output', 'bench', 'cost.json')
const STARTED = Date.now()
const log = (msg) => process.stderr.write(`[cost ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`)

// ---------------------------------------------------------------- redis-server
const children = new Set()
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

async function freePort() {
  const srv = net.createServer()
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

/** One raw RESP command on its own connection: a bulk/simple/integer reply as a string. */
function raw(port, ...args) {
  return new Promise((res, rej) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    let buf = ''
    const timer = setTimeout(() => done(new Error(`redis ${args[0]}: no reply`)), 5000)
    const done = (err, value) => {
      clearTimeout(timer)
      socket.destroy()
      err ? rej(err) : res(value)
    }
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`))
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      buf += chunk
      const eol = buf.indexOf('\r\n')
      if (eol === -1) return
      const line = buf.slice(1, eol)
      if (buf[0] === '-') return done(new Error(line))
      if (buf[0] !== '$') return done(undefined, line)
      const len = Number(line)
      if (len < 0) return done(undefined, null)
      if (Buffer.byteLength(buf) >= eol + 2 + len + 2) done(undefined, buf.slice(eol + 2, eol + 2 + len))
    })
    socket.once('error', (e) => done(e))
  })
}

async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()], { stdio: 'ignore' })
  children.add(child)
  for (let i = 0; i < 300; i++) {
    try {
      if ((await raw(port, 'PING')) === 'PONG') break
    } catch {
      await sleep(50)
    }
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}

/** Commands Redis ran since the last CONFIG RESETSTAT (scripts' bodies included), less the measurement's own. */
async function redisCommands(port) {
  let total = 0
  for (const line of String(await raw(port, 'INFO', 'commandstats')).split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line)
    if (m && !/^(config|info|client)\b/.test(m[1])) total += Number(m[2])
  }
  return total
}

async function clientCount(port) {
  return String(await raw(port, 'CLIENT', 'LIST')).split('\n').filter((l) => l.trim()).length - 1
}

// ---------------------------------------------------------------- a server whose store calls are counted
/** serve() on a loopback port, its Redis store's commands counted by name (both of its connections). */
async function startServer(redis, prefix, options = {}) {
  const store = redisStore(redis.url, { prefix })
  const calls = new Map()
  for (const conn of [store.client, store.sub]) {
    const send = conn.sendCommand.bind(conn)
    conn.sendCommand = (command, ...rest) => {
      calls.set(command.name, (calls.get(command.name) ?? 0) + 1)
      return send(command, ...rest)
    }
  }
  const io = serve({ store, ...options })
  const mw = io.middleware()
  const posts = { message: 0 }
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.endsWith('/message')) posts.message++
    mw(req, res)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${server.address().port}/api/socket`
  return {
    io,
    url,
    calls,
    posts,
    async close() {
      await io.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

/** Store calls and Redis commands while fn runs (every server of the run counted). */
async function measure(redis, servers, fn) {
  for (const s of servers) s.calls.clear()
  await raw(redis.port, 'CONFIG', 'RESETSTAT')
  const out = await fn()
  const redisTotal = await redisCommands(redis.port)
  let calls = 0
  let subs = 0
  for (const s of servers) {
    for (const [name, n] of s.calls) {
      calls += n
      if (/subscribe/i.test(name)) subs += n
    }
  }
  return { calls, upstash: calls - subs, redis: redisTotal, out }
}

async function until(check, what, ms = 60_000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await sleep(20)
  }
}

async function clientsIn(server, n, transport, room) {
  const clients = []
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => {
      const c = connect(server.url, { transports: [transport] })
      c.got = []
      c.on('msg', (m) => c.got.push(m))
      return c
    })
    await until(() => batch.every((c) => c.connected), `${n} ${transport} clients`)
    if (room) for (const c of batch) await (await server.io.fetchSocket(c.id)).join(room)
    clients.push(...batch)
  }
  return clients
}

/** Every poll answered has been made again (or every stream is open): the instance is at rest. */
const atRest = (server, clients) => () => server.io.hub.streamCount >= clients.length

// ---------------------------------------------------------------- the figures
async function broadcastCost(redis, transport, members) {
  const server = await startServer(redis, `b-${transport}-${members}`)
  const clients = await clientsIn(server, members, transport, 'room')
  try {
    await server.io.to('room').emit('msg', 'warm')
    await until(() => clients.every((c) => c.got.includes('warm')) && atRest(server, clients)(), 'warm-up')
    await sleep(300)
    const m = await measure(redis, [server], async () => {
      for (let i = 0; i < 10; i++) await server.io.to('room').emit('msg', i)
      await until(() => clients.every((c) => c.got.includes(9)) && atRest(server, clients)(), 'broadcasts')
      await sleep(300)
    })
    const per = (x) => x / 10
    return { calls: per(m.calls), upstash: per(m.upstash), redis: per(m.redis), perDelivered: m.calls / (10 * members) }
  } finally {
    for (const c of clients) c.disconnect()
    await server.close()
  }
}

async function idleCost(redis, transport, n) {
  const server = await startServer(redis, `i-${transport}-${n}`)
  const clients = await clientsIn(server, n, transport)
  try {
    await sleep(1000)
    const m = await measure(redis, [server], () => sleep(IDLE_S * 1000))
    const per = (x) => x / n / (IDLE_S / 60)
    return { calls: per(m.calls), upstash: per(m.upstash), redis: per(m.redis) }
  } finally {
    for (const c of clients) c.disconnect()
    await server.close()
  }
}

/** A stream of an existing session opened again: on the instance it left (warm), and on another one (cold). */
async function reconnectCost(redis, transport) {
  const a = await startServer(redis, `r-${transport}`)
  // A session (in one room) whose client keeps its id and token, as a reconnecting client does.
  const res = await fetch(`${a.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ transport }) })
  const { sid, token } = await res.json()
  await (await a.io.fetchSocket(sid)).join('room')
  const open = async (server) => {
    const ctl = new AbortController()
    const path = transport === 'sse' ? 'sse' : 'poll?wait=0'
    const r = await fetch(`${server.url}/${path}`, { headers: { 'x-socket-sid': sid, 'x-socket-token': token }, signal: ctl.signal })
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`)
    const reader = r.body.getReader()
    let text = ''
    while (!text.includes('"c":"open"')) {
      const { value, done } = await reader.read()
      if (done) break
      text += Buffer.from(value).toString()
    }
    ctl.abort()
    await sleep(200)
  }
  try {
    await open(a)
    const warm = await measure(redis, [a], () => open(a))
    // Another instance that has its connections but never saw this session's logs.
    const b = await startServer(redis, `r-${transport}`)
    await b.io.store.getSession('nobody')
    const cold = await measure(redis, [a, b], () => open(b))
    await b.close()
    return { warm, cold }
  } finally {
    await a.close()
  }
}

/** Store calls per client message: 50 emits with ack, one at a time (each its own POST). */
async function messageCost(redis, transport) {
  const server = await startServer(redis, `m-${transport}`)
  server.io.onMessage('add', (_s, n) => n + 1)
  const [c] = await clientsIn(server, 1, transport)
  try {
    await c.emitWithAck('add', 0)
    const N = 50
    const m = await measure(redis, [server], async () => {
      for (let i = 0; i < N; i++) if ((await c.emitWithAck('add', i)) !== i + 1) throw new Error('wrong ack')
    })
    const per = (x) => x / N
    return { calls: per(m.calls), upstash: per(m.upstash), redis: per(m.redis) }
  } finally {
    c.disconnect()
    await server.close()
  }
}

/** POST /message requests per emit, one client emitting at `rate` per second for `seconds`. */
async function postsPerEmit(redis, transport, rate, seconds) {
  const server = await startServer(redis, `p-${transport}-${rate}`)
  let received = 0
  server.io.onMessage('e', () => void received++)
  const [c] = await clientsIn(server, 1, transport)
  try {
    const total = Math.round(rate * seconds)
    server.posts.message = 0
    const started = Date.now()
    for (let i = 0; i < total; i++) {
      c.emit('e', i)
      const due = started + ((i + 1) * 1000) / rate
      if (due - Date.now() >= 1) await sleep(due - Date.now())
    }
    await until(() => received >= total, `${total} emits handled`)
    return { emits: total, posts: server.posts.message, perEmit: server.posts.message / total }
  } finally {
    c.disconnect()
    await server.close()
  }
}

// ---------------------------------------------------------------- run
const fmt = (x) => (x === undefined ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.01 || x === 0 ? x.toFixed(2) : x.toPrecision(2))
const cell = (m) => `${fmt(m.calls)} / ${fmt(m.upstash)} / ${fmt(m.redis)}`

async function main() {
  const redis = await startRedis()
  const results = { big: BIG, idleSeconds: IDLE_S, node: process.version, load: os.loadavg()[0] }
  try {
    for (const transport of ['sse', 'polling']) {
      const r = (results[transport] = {})
      r.small = await broadcastCost(redis, transport, 10)
      log(`${transport} broadcast to 10: ${cell(r.small)}`)
      r.big = await broadcastCost(redis, transport, BIG)
      log(`${transport} broadcast to ${BIG}: ${cell(r.big)}`)
      r.message = await messageCost(redis, transport)
      log(`${transport} per acked client message: ${cell(r.message)}`)
      r.reconnect = await reconnectCost(redis, transport)
      log(`${transport} reconnect warm ${cell(r.reconnect.warm)}, cold ${cell(r.reconnect.cold)}`)
      r.idle1 = await idleCost(redis, transport, 1)
      r.idle100 = await idleCost(redis, transport, 100)
      log(`${transport} idle per client-minute: 1 client ${cell(r.idle1)}, 100 clients ${cell(r.idle100)}`)
      r.posts = {}
      for (const rate of [1, 100, 10_000]) {
        r.posts[rate] = await postsPerEmit(redis, transport, rate, rate === 1 ? 5 : 2)
        log(`${transport} ${rate} emits/s: ${r.posts[rate].posts} POSTs for ${r.posts[rate].emits} emits`)
      }
    }
  } finally {
    redis.stop()
  }
  print(results)
  mkdirSync(dirname(JSON_OUT), { recursive: true })
  writeFileSync(JSON_OUT, JSON.stringify(results, null, 2))
}

function print(r) {
  const rows = [
    ['per delivered message (room of 10)', (t) => fmt(r[t].small.perDelivered)],
    ['per client message (emit with ack, one at a time)', (t) => cell(r[t].message)],
    ['per room broadcast, 10 members', (t) => cell(r[t].small)],
    [`per room broadcast, ${r.big} members`, (t) => cell(r[t].big)],
    ['per idle client-minute, 1 client on the instance', (t) => cell(r[t].idle1)],
    ['per idle client-minute, 100 clients on the instance', (t) => cell(r[t].idle100)],
    ['per reconnect, same instance', (t) => cell(r[t].reconnect.warm)],
    ['per reconnect, another instance', (t) => cell(r[t].reconnect.cold)],
    ...[1, 100, 10_000].map((rate) => [`POSTs per emit at ${rate.toLocaleString('en')}/s from one client`, (t) => fmt(r[t].posts[rate].perEmit)]),
  ]
  const lines = [
    '',
    `## Cost (calls / Upstash-billed / Redis commands incl. script bodies; load ${r.load.toFixed(1)}, ${r.node}, idle window ${r.idleSeconds} s, default pingInterval 25 s, keep-alive every 25 s)`,
    '',
    '| | SSE | polling |',
    '| --- | --- | --- |',
    ...rows.map(([label, f]) => `| ${label} | ${f('sse')} | ${f('polling')} |`),
    '',
  ]
  process.stdout.write(lines.join('\n'))
}

await main()
process.exit(0)
