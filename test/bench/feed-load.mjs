// What the inspector's live feed costs a busy server (issue 18, item 5): the instance's CPU and
// Redis's commands and CPU, with no feed open, with one open, and again after it closed. Not in
// CI (about a minute):
//   node test/bench/feed-load.mjs              (after `npm run build`; needs redis-server on PATH)
//   BENCH_HANDLER=/path/to/other/handler/dist node test/bench/feed-load.mjs   (compare a build)
//
// The server runs in a child process (its CPU read from /proc), on a redis-server this script
// starts on a free loopback port. The load comes from this process: BENCH_CLIENTS clients in one
// room, together BENCH_RATE chat messages a second (each acked, each broadcast to the room), for
// BENCH_SECONDS per phase. Figures printed with `uptime`'s load: they mean little on a busy machine.
import { spawn, execSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const TOKEN = 'bench-token'
const HANDLER = process.env.BENCH_HANDLER

if (process.argv[2] === 'server') {
  const base = HANDLER ? pathToFileURL(`${HANDLER.replace(/\/$/, '')}/`).href : undefined
  const { serve } = await import(base ? `${base}index.js` : 'socket-serve')
  const { redisStore } = await import(base ? `${base}redis.js` : 'socket-serve/redis')
  const io = serve({ store: redisStore(process.argv[3]), inspector: { token: TOKEN } })
  io.onMessage('join', async (s, room) => {
    await s.join(room)
    return 'ok'
  })
  io.onMessage('chat', async (s, data) => {
    await io.to('lobby').emit('chat', data)
    return { ok: true }
  })
  const mw = io.middleware()
  const server = http.createServer((req, res) => mw(req, res))
  server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`))
} else {
  await main()
}

async function main() {
  const { connect } = await import('@socket-serve/client')
  const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10)
  const RATE = Number(process.env.BENCH_RATE ?? 200)
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
  const log = (m) => process.stderr.write(`[feed-load] ${m}\n`)

  const redisPort = await freePort()
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  const server = spawn(process.execPath, [fileURLToPath(import.meta.url), 'server', `redis://127.0.0.1:${redisPort}`], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env })
  const cleanup = () => {
    server.kill()
    redis.kill()
  }
  try {
    const port = await new Promise((resolve) => server.stdout.on('data', (d) => /port (\d+)/.test(String(d)) && resolve(Number(/port (\d+)/.exec(String(d))[1]))))
    const url = `http://127.0.0.1:${port}/api/socket`
    const clients = Array.from({ length: CLIENTS }, () => connect(url, { transports: ['sse'] }))
    await Promise.all(clients.map((c) => new Promise((r) => c.once('connect', r))))
    await Promise.all(clients.map((c) => c.emitWithAck('join', 'lobby')))
    log(`${CLIENTS} clients, ${RATE} messages/s, ${SECONDS} s per phase, handler ${HANDLER ?? 'socket-serve (this tree)'}`)

    const rows = []
    rows.push(await phase('feed closed', clients, RATE, SECONDS, redisPort, server.pid))
    const feed = openFeed(url)
    await sleep(3000) // instances re-read the watching mark every 2 s
    rows.push(await phase('feed open', clients, RATE, SECONDS, redisPort, server.pid, feed))
    const history = await fetch(`${url}/_inspector/feed?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } })
    const page = history.ok ? await history.json() : undefined
    feed.close()
    await sleep(33_000) // the mark lapses (10 s here, 30 s before the feed history), and instances notice
    rows.push(await phase('feed closed again', clients, RATE, SECONDS, redisPort, server.pid))

    console.log(`\nuptime: ${execSync('uptime').toString().trim()}`)
    console.log('phase              | msgs (failed) | instance CPU  | Redis cmds (/msg)  | xadd | publish | feed reads | Redis CPU | feed rows seen')
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(18)} | ${String(r.sent).padStart(4)} (${String(r.failed).padStart(4)})   | ${r.cpuMs.toFixed(0).padStart(5)} ms ${`${r.cpuPct.toFixed(0)}%`.padStart(4)} | ${String(r.cmds).padStart(7)} (${(r.cmds / r.sent).toFixed(1).padStart(5)}) | ${String(r.xadd).padStart(4)} | ${String(r.publish).padStart(7)} | ${String(r.feedReads).padStart(10)} | ${r.redisMs.toFixed(0).padStart(6)} ms | ${r.feedRows ?? '-'}`,
      )
    }
    if (page) console.log(`history page: ${page.events.length} rows, oldest ${((Date.now() - (page.events.at(-1)?.at ?? Date.now())) / 1000).toFixed(1)} s ago`)
    else console.log(`history: GET _inspector/feed answered ${history.status} (no feed history in this build)`)
    for (const c of clients) c.disconnect()
  } finally {
    cleanup()
  }
}

/** One phase: RATE acked chat messages a second for SECONDS, with the costs it caused. */
async function phase(name, clients, rate, seconds, redisPort, pid, feed) {
  await redisCmd(redisPort, 'CONFIG', 'RESETSTAT')
  const redisCpu0 = await redisCpu(redisPort)
  const cpu0 = procCpuMs(pid)
  const rows0 = feed?.rows() ?? 0
  const started = performance.now()
  let sent = 0
  const inFlight = []
  for (let tick = 0; tick < seconds * 10; tick++) {
    for (let i = 0; i < rate / 10; i++) {
      const c = clients[sent % clients.length]
      inFlight.push(c.emitWithAck('chat', { n: sent, text: `message ${sent}` }))
      sent++
    }
    const next = started + (tick + 1) * 100
    await sleep(Math.max(0, next - performance.now()))
  }
  // On a loaded machine some acks time out: counted, not fatal.
  const failed = (await Promise.allSettled(inFlight)).filter((r) => r.status === 'rejected').length
  const elapsed = performance.now() - started
  await sleep(300)
  const cpuMs = procCpuMs(pid) - cpu0
  const stats = parseInfo(await redisCmd(redisPort, 'INFO', 'commandstats'))
  let cmds = 0
  for (const [k, v] of stats) if (!/^cmdstat_(info|config)/.test(k)) cmds += Number(/calls=(\d+)/.exec(v)?.[1] ?? 0)
  const calls = (c) => Number(/calls=(\d+)/.exec(stats.get(`cmdstat_${c}`) ?? '')?.[1] ?? 0)
  return {
    name,
    sent,
    failed,
    cpuMs,
    cpuPct: (cpuMs / elapsed) * 100,
    cmds,
    xadd: calls('xadd'),
    publish: calls('publish'),
    // the feed's own reads and trims (XRANGE is the open feed's poll; logs are read by Lua scripts)
    feedReads: calls('xrange') + calls('xrevrange') + calls('xtrim'),
    redisMs: (await redisCpu(redisPort)) - redisCpu0,
    feedRows: feed ? feed.rows() - rows0 : undefined,
  }
}

/** The live feed, open and drained, counting its rows. */
function openFeed(url) {
  const controller = new AbortController()
  let rows = 0
  void fetch(`${url}/_inspector/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: controller.signal })
    .then(async (res) => {
      const decoder = new TextDecoder()
      for await (const chunk of res.body) rows += (decoder.decode(chunk, { stream: true }).match(/^data: /gm) ?? []).length
    })
    .catch(() => {})
  return { rows: () => rows, close: () => controller.abort() }
}

function procCpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // utime + stime, in clock ticks of 1/100 s
}

async function redisCpu(port) {
  const info = parseInfo(await redisCmd(port, 'INFO', 'cpu'))
  return (Number(info.get('used_cpu_user')) + Number(info.get('used_cpu_sys'))) * 1000
}

function parseInfo(text) {
  return new Map(
    String(text)
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  )
}

/** One command over a fresh connection (RESP), its bulk or simple reply as text. */
function redisCmd(port, ...args) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let buf = ''
    socket.on('data', (d) => {
      buf += d.toString('utf8')
      const bulk = /^\$(\d+)\r\n/.exec(buf)
      if (bulk && Buffer.byteLength(buf) >= bulk[0].length + Number(bulk[1]) + 2) {
        socket.end()
        resolve(buf.slice(bulk[0].length, bulk[0].length + Number(bulk[1])))
      } else if (/^[+\-:].*\r\n/.test(buf)) {
        socket.end()
        resolve(buf.slice(1).trim())
      }
    })
    socket.on('error', reject)
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`)
  })
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}
