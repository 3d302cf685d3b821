// What hostile clients cost the server, with serve({ limits }) off and at its defaults (issue 15).
//
//   node test/bench/attacks.mjs            (needs redis-server on PATH; loopback only; ~2-3 min)
//
// For each attack and each mode it starts a fresh redis-server and a fresh server process
// (attack-server.mjs), runs the attack (every loop bounded), and prints the server's RSS and heap
// (after gc), Redis used_memory and commands, and the echo round trip a normal client sees meanwhile.
// Figures only: nothing here fails on a timing. Not part of CI.
import { spawn } from 'node:child_process'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '@socket-serve/client'

const here = path.dirname(fileURLToPath(import.meta.url))
const json = { 'content-type': 'application/json' }

async function freePort() {
  const srv = net.createServer()
  await new Promise((r) => srv.listen(0, '127.0.0.1', r))
  const { port } = srv.address()
  await new Promise((r) => srv.close(r))
  return port
}

async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', os.tmpdir()], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await redis(port, 'PING').then((r) => r.includes('PONG'), () => false)) break
    await sleep(50)
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}

/** One inline Redis command, its raw reply. */
function redis(port, command) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    let out = ''
    sock.on('data', (d) => {
      out += d
      const bulk = /^\$(\d+)\r\n/.exec(out)
      if (bulk ? Buffer.byteLength(out) >= bulk[0].length + Number(bulk[1]) + 2 : out.endsWith('\r\n')) sock.end()
    })
    sock.on('end', () => resolve(out))
    sock.on('error', reject)
    sock.write(`${command}\r\n`)
    setTimeout(() => sock.destroy(), 2000).unref()
  })
}

const info = async (port, field) => Number(new RegExp(`${field}:(\\d+)`).exec(await redis(port, 'INFO'))?.[1] ?? NaN)

async function startServer(mode, redisUrl) {
  const child = spawn(process.execPath, ['--expose-gc', path.join(here, 'attack-server.mjs')], {
    env: { ...process.env, BENCH_LIMITS: mode, BENCH_REDIS: redisUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /LISTENING (\d+)/.exec(String(d))
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
  return { port, url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}

const stats = async (base) => (await fetch(`${base}/bench/stats`)).json()
const rawConnect = async (url) => (await fetch(`${url}/connect`, { method: 'POST', headers: json, body: '{}' })).json()
const headers = (s) => ({ ...json, 'x-socket-sid': s.sid, 'x-socket-token': s.token })
const post = (url, s, route, body) => fetch(`${url}/${route}`, { method: 'POST', headers: headers(s), body: typeof body === 'string' ? body : JSON.stringify(body) })

/** A normal client echoing every 20 ms while `during` runs: its round trips, and connect times. */
async function probe(url, during) {
  const socket = connect(url, { transports: ['sse'] })
  await new Promise((r) => socket.once('connect', r))
  const rtts = []
  const connects = []
  let stop = false
  const loop = (async () => {
    while (!stop) {
      const t = performance.now()
      try {
        await socket.emitWithAck('echo', 1, { timeout: 10_000 })
        rtts.push(performance.now() - t)
      } catch {
        rtts.push(10_000)
      }
      if (rtts.length % 10 === 0) {
        const c = performance.now()
        await fetch(`${url}/connect`, { method: 'POST', headers: json, body: '{}' }).then((r) => r.text())
        connects.push(performance.now() - c)
      }
      await sleep(20)
    }
  })()
  try {
    return { result: await during(), rtts, connects }
  } finally {
    stop = true
    await loop
    socket.disconnect()
  }
}

const pct = (xs, p) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]
}

const ATTACKS = {
  /** 500 SSE streams opened on one session, all kept open. */
  async streams(url) {
    const s = await rawConnect(url)
    const aborts = []
    for (let i = 0; i < 500; i++) {
      const c = new AbortController()
      aborts.push(c)
      fetch(`${url}/sse`, { headers: headers(s), signal: c.signal }).then((r) => r.body?.pipeTo(new WritableStream()).catch(() => {}), () => {})
    }
    await sleep(3000)
    return { close: () => aborts.forEach((a) => a.abort()), note: '500 streams on one session' }
  },
  /** 10 streams that never read, then 100 x 100 kB broadcasts (10 MB each). */
  async unread(url) {
    const { port } = new URL(url)
    const socks = []
    for (let i = 0; i < 10; i++) {
      const s = await rawConnect(url)
      const sock = net.connect(Number(port), '127.0.0.1')
      await new Promise((r) => sock.once('connect', r))
      sock.pause()
      sock.on('error', () => {})
      sock.write(`GET /sse HTTP/1.1\r\nhost: 127.0.0.1\r\nx-socket-sid: ${s.sid}\r\nx-socket-token: ${s.token}\r\n\r\n`)
      socks.push(sock)
    }
    await sleep(500)
    await fetch(`${url}/bench/broadcast`, { method: 'POST' })
    await sleep(1000)
    return { close: () => socks.forEach((s) => s.destroy()), note: '10 unread streams, 10 MB sent to each' }
  },
  /** 3 POSTs of 1,000 joins on one session, then 8 poll loops on it for 5 s. */
  async rooms(url) {
    const s = await rawConnect(url)
    let joined = 0
    for (let b = 0; b < 3; b++) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i + 1, event: 'join', data: `room-${b}-${i}`, ack: true }))
      const reply = await (await post(url, s, 'message', { messages })).json()
      joined += reply.acks.filter((a) => a.data === 'ok').length
    }
    const end = Date.now() + 5000
    let polls = 0
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < end) {
          await fetch(`${url}/poll?wait=0`, { headers: headers(s) }).then((r) => r.text())
          polls++
        }
      }),
    )
    return { note: `${joined} rooms joined; ${polls} polls in 5 s` }
  },
  /** Connects from one address, 20 at a time, for 5 s. */
  async connects(url) {
    const end = Date.now() + 5000
    let ok = 0
    let refused = 0
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < end) {
          const r = await fetch(`${url}/connect`, { method: 'POST', headers: json, body: '{}' })
          await r.text()
          if (r.status === 200) ok++
          else refused++
        }
      }),
    )
    return { note: `${ok} sessions made, ${refused} refused in 5 s` }
  },
  /** 20,000 messages each making the server await an ack the client never sends. */
  async acks(url) {
    const s = await rawConnect(url)
    for (let b = 0; b < 20; b++) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i + 1, event: 'ask' }))
      await (await post(url, s, 'message', { messages })).text()
    }
    return { note: '20,000 emitWithAck pending on one session' }
  },
  /** 20,000 distinct event names sent with ack (no handler), inspector on. */
  async metrics(url) {
    const s = await rawConnect(url)
    for (let b = 0; b < 20; b++) {
      const messages = Array.from({ length: 1000 }, (_, i) => ({ id: b * 1000 + i + 1, event: `junk-${b}-${i}`, ack: true }))
      await (await post(url, s, 'message', { messages })).text()
    }
    const t = performance.now()
    const report = await (await fetch(`${url}/_inspector/metrics`, { headers: { authorization: 'Bearer bench' } })).text()
    return { note: `metrics reply ${report.length} bytes in ${(performance.now() - t).toFixed(0)} ms` }
  },
  /** 300 connections sending a body one byte a second, watched for 12 s. */
  async slow(url) {
    const { port } = new URL(url)
    const socks = []
    for (let i = 0; i < 300; i++) {
      const sock = net.connect(Number(port), '127.0.0.1')
      sock.on('error', () => {})
      sock.on('data', () => {}) // reads the answer, so an answered connection shows as ended
      sock.write(`POST /connect HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`)
      socks.push(sock)
    }
    const timer = setInterval(() => socks.forEach((s) => s.writable && s.write(' ')), 1000)
    await sleep(12_000)
    clearInterval(timer)
    const held = socks.filter((s) => !s.destroyed && !s.readableEnded).length
    return { close: () => socks.forEach((s) => s.destroy()), note: `${held} of 300 slow connections still held after 12 s` }
  },
  /** 20 POSTs of a 1 MB nested body on a real session. */
  async nested(url) {
    const s = await rawConnect(url)
    const body = '{"messages":' + '['.repeat(400_000) + ']'.repeat(400_000) + '}'
    const statuses = []
    for (let i = 0; i < 20; i++) statuses.push((await post(url, s, 'message', body)).status)
    return { note: `20 nested 800 kB bodies: statuses ${[...new Set(statuses)].join(',')}` }
  },
}

const only = process.argv.slice(2)
const rows = []
for (const [name, attack] of Object.entries(ATTACKS)) {
  if (only.length && !only.includes(name)) continue
  for (const mode of ['off', 'defaults']) {
    const r = await startRedis()
    const srv = await startServer(mode, r.url)
    try {
      const before = await stats(srv.url)
      const cmds0 = await info(r.port, 'total_commands_processed')
      const t0 = Date.now()
      const { result, rtts, connects } = await probe(`${srv.url}`, () => attack(srv.url))
      const secs = (Date.now() - t0) / 1000
      const after = await stats(srv.url)
      const cmds = (await info(r.port, 'total_commands_processed')) - cmds0
      const mem = await info(r.port, 'used_memory')
      result.close?.()
      rows.push({
        attack: name,
        limits: mode,
        'rss MB': `${(before.rss / 1e6).toFixed(0)} -> ${(after.rss / 1e6).toFixed(0)}`,
        'heap MB': `${(before.heap / 1e6).toFixed(0)} -> ${(after.heap / 1e6).toFixed(0)}`,
        'cpu s': ((after.cpuUs - before.cpuUs) / 1e6).toFixed(2),
        streams: after.streams,
        'pending acks': after.pendingAcks,
        'redis MB': (mem / 1e6).toFixed(1),
        'redis cmd/s': Math.round(cmds / secs),
        'echo p50/p99 ms': `${pct(rtts, 0.5).toFixed(1)} / ${pct(rtts, 0.99).toFixed(1)}`,
        'connect p50 ms': pct(connects, 0.5).toFixed(1),
        note: result.note,
      })
      console.log(JSON.stringify(rows.at(-1)))
    } finally {
      srv.stop()
      r.stop()
      await sleep(300)
    }
  }
}
console.table(rows)
