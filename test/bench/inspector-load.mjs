// What an open inspector costs a busy server: the chat round trip p50 (one client's emit to another
// client's receipt, through a room) with and without the inspector UI's refresh loop, on 100,000
// sessions. Not in CI (it takes a minute or two):
//   node test/bench/inspector-load.mjs        (after `npm run build`)
//
// The server (memory store, product defaults but a long disconnectTimeout so the idle sessions
// stay) and both chat clients run in this process. The 100,000 sessions are written into the store
// directly (the cheap way: no connect requests). The inspector load is what inspector-ui does per
// refresh (use-inspector.ts, use-session-pages.ts): the summary snapshot (500 most recently seen),
// the metrics, one page of sessions, the instance list and store health, every pollInterval (2 s) stretched to 5x the last refresh,
// with the live feed open. "old UI" repeats it reading the whole snapshot (the UI before paging:
// `snapshot`, 10,000 listed) for comparison.
//
// Environment: BENCH_SESSIONS (default 100000), BENCH_ROUNDS (round trips per phase, default 300).
import http from 'node:http'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect } from '@socket-serve/client'
import { memoryStore, serve } from 'socket-serve'

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 100_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300)
const TOKEN = 'bench-token'
const POLL_MS = 2000
const COST_FACTOR = 5
const STARTED = Date.now()
const log = (msg) => process.stderr.write(`[inspector-load ${((Date.now() - STARTED) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`)

const store = memoryStore()
// limits.sessions off: the 100,000 written sessions would otherwise fill the live-session bound
const io = serve({ store, inspector: { token: TOKEN }, disconnectTimeout: 3_600_000, limits: { sessions: 0 } })
io.onMessage('join', async (s, room) => {
  await s.join(room)
  return 'ok'
})
io.onMessage('chat', async (_s, data) => {
  await io.to('lobby').emit('chat', data)
  return 'ok'
})
const mw = io.middleware()
const server = http.createServer((req, res) => mw(req, res))
await new Promise((r) => server.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${server.address().port}/api/socket`

// ---------------------------------------------------------------- 100,000 sessions, in the store
log(`writing ${SESSIONS} sessions into the memory store`)
const now = Date.now()
const limits = { ttl: 3600, maxLogLength: 1000 }
for (let i = 0; i < SESSIONS; i++) {
  const sid = `bench${String(i).padStart(7, '0')}`
  await store.createSession(
    { sid, token: sid, user: { name: `user ${i}` }, state: { n: i }, rooms: {}, transport: 'sse', createdAt: now, lastSeen: now },
    limits,
  )
}

// ---------------------------------------------------------------- the chat pair
const sender = connect(url, { transports: ['sse'] })
const receiver = connect(url, { transports: ['sse'] })
await Promise.all([sender, receiver].map((c) => new Promise((r) => c.once('connect', r))))
await sender.emitWithAck('join', 'lobby')
await receiver.emitWithAck('join', 'lobby')
const waiting = new Map()
receiver.on('chat', (d) => waiting.get(d.i)?.())

let round = 0
/** ROUNDS chat round trips, one after another: the sender's emit to the receiver's 'chat'. */
async function chatRoundTrips() {
  const times = []
  for (let i = 0; i < ROUNDS; i++) {
    const id = ++round
    const started = performance.now()
    const got = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`round ${id}: no message in 30 s`)), 30_000)
      waiting.set(id, () => {
        clearTimeout(timer)
        waiting.delete(id)
        resolve()
      })
    })
    sender.emit('chat', { i: id, text: 'hello' })
    await got
    times.push(performance.now() - started)
    await sleep(5)
  }
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(times.length * 0.5)], p95: times[Math.floor(times.length * 0.95)] }
}

// ---------------------------------------------------------------- the inspector's refresh loop
const auth = { authorization: `Bearer ${TOKEN}` }
async function read(route) {
  const res = await fetch(`${url}/_inspector/${route}`, { headers: auth })
  if (!res.ok) throw new Error(`${route}: ${res.status}`)
  return (await res.text()).length
}

/** The UI's loop until stop(): refreshes, their durations and bytes. */
function inspectorLoop(routes) {
  let stopped = false
  const feed = new AbortController()
  const stats = { refreshes: 0, ms: [], bytes: 0 }
  // The live feed, open all along (as in the UI), drained.
  const feedDone = fetch(`${url}/_inspector/events`, { headers: auth, signal: feed.signal })
    .then(async (res) => {
      for await (const _ of res.body) if (stopped) break
    })
    .catch(() => {})
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now()
      const sizes = await Promise.all(routes.map(read))
      const took = performance.now() - started
      stats.refreshes++
      stats.ms.push(took)
      stats.bytes += sizes.reduce((a, b) => a + b, 0)
      const wait = Math.max(POLL_MS, took * COST_FACTOR)
      for (let t = 0; t < wait && !stopped; t += 50) await sleep(50)
    }
  })()
  return {
    async stop() {
      stopped = true
      feed.abort()
      await Promise.all([loop, feedDone])
      stats.ms.sort((a, b) => a - b)
      return stats
    },
  }
}

const NEW_UI = ['snapshot?limit=500&sort=recent', 'metrics', 'sessions?limit=100&sort=recent', 'instances']
const OLD_UI = ['snapshot', 'metrics']

async function phase(name, routes) {
  const loop = routes ? inspectorLoop(routes) : undefined
  if (loop) await sleep(500)
  const cpu = process.cpuUsage()
  const wall = performance.now()
  const rt = await chatRoundTrips()
  const used = process.cpuUsage(cpu)
  const cpuShare = (used.user + used.system) / 1000 / (performance.now() - wall)
  const stats = await loop?.stop()
  const line = {
    phase: name,
    p50: +rt.p50.toFixed(2),
    p95: +rt.p95.toFixed(2),
    cpu: `${(cpuShare * 100).toFixed(0)}%`,
    ...(stats
      ? {
          refreshes: stats.refreshes,
          refreshP50ms: +(stats.ms[Math.floor(stats.ms.length / 2)] ?? 0).toFixed(1),
          kBPerRefresh: +(stats.bytes / 1024 / Math.max(1, stats.refreshes)).toFixed(1),
        }
      : {}),
  }
  log(JSON.stringify(line))
  return line
}

log(`${SESSIONS} sessions, ${ROUNDS} round trips per phase, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`)
await chatRoundTrips() // warm-up
const results = []
// Alternated, twice, so a drift in machine load hits both sides.
for (let i = 0; i < 2; i++) {
  results.push(await phase('without inspector', null))
  results.push(await phase('inspector open (paged UI)', NEW_UI))
}
if (!/^(0|false)$/i.test(process.env.BENCH_OLD ?? '1')) results.push(await phase('inspector open (old UI: whole snapshot)', OLD_UI))

const median = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length // the mean of the alternated runs
const off = median(results.filter((r) => r.phase === 'without inspector').map((r) => r.p50))
const on = median(results.filter((r) => r.phase === 'inspector open (paged UI)').map((r) => r.p50))
console.log(JSON.stringify({ sessions: SESSIONS, rounds: ROUNDS, results }, null, 2))
console.log(`chat round trip p50: ${off.toFixed(2)} ms without, ${on.toFixed(2)} ms with the inspector open: ${(((on - off) / off) * 100).toFixed(1)}% added`)

sender.disconnect()
receiver.disconnect()
await io.close()
server.closeAllConnections()
await new Promise((r) => server.close(r))
process.exit(0)
