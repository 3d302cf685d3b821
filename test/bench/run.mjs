// socket-serve benchmarks: figures only, never a pass/fail. Loopback only; every loop is bounded.
//   pnpm bench            (or: node test/bench/run.mjs after `tsc -b handler client`)
// Environment: BENCH_ECHO (round trips, default 2000), BENCH_FANOUT (messages, default 2000),
// BENCH_RECEIVERS (default 100).
import http from 'node:http'
import os from 'node:os'
import { serve } from 'socket-serve'
import { connect } from '@socket-serve/client'

const ECHO = Number(process.env.BENCH_ECHO ?? 2000)
const FANOUT = Number(process.env.BENCH_FANOUT ?? 2000)
const RECEIVERS = Number(process.env.BENCH_RECEIVERS ?? 100)
const DEADLINE_MS = 120_000

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}
const fmt = (ms) => (ms < 10 ? ms.toFixed(3) : ms.toFixed(1))

async function startServer(options) {
  const io = serve(options)
  io.onMessage('echo', (_s, d) => d)
  io.onMessage('join', async (s, room) => {
    await s.join(room)
    return 'ok'
  })
  const server = http.createServer(io.middleware())
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${server.address().port}/api/socket`
  return {
    io,
    url,
    async close() {
      await io.close()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
}

async function echo(transport) {
  const srv = await startServer({})
  const socket = connect(srv.url, { transports: [transport] })
  await connected(socket)
  for (let i = 0; i < 200; i++) await socket.emitWithAck('echo', i) // warm-up
  const times = []
  const end = Date.now() + DEADLINE_MS
  for (let i = 0; i < ECHO && Date.now() < end; i++) {
    const t = performance.now()
    await socket.emitWithAck('echo', { i, text: 'hello' })
    times.push(performance.now() - t)
  }
  socket.disconnect()
  await srv.close()
  times.sort((a, b) => a - b)
  return { name: `echo round trip (${transport})`, n: times.length, p50: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99) }
}

async function fanout(transport, paced) {
  const srv = await startServer({ maxLogLength: FANOUT + 10 })
  const receivers = []
  const latencies = []
  let delivered = 0
  let duplicated = 0
  let reordered = 0
  for (let r = 0; r < RECEIVERS; r++) {
    const socket = connect(srv.url, { transports: [transport] })
    await connected(socket)
    await socket.emitWithAck('join', 'bench')
    let last = -1
    socket.on('tick', ({ n, t }) => {
      if (n === last) duplicated++
      else if (n < last) reordered++
      last = n
      delivered++
      latencies.push(performance.now() - t)
    })
    receivers.push(socket)
  }
  const expected = FANOUT * RECEIVERS
  const start = performance.now()
  const end = Date.now() + DEADLINE_MS
  for (let n = 0; n < FANOUT; n++) {
    srv.io.to('bench').emit('tick', { n, t: performance.now() })
    if (paced && n % 10 === 9) await new Promise((r) => setTimeout(r, 20)) // ~500 msg/s
    else if (!paced && n % 100 === 99) await new Promise((r) => setImmediate(r))
  }
  while (delivered < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  const seconds = (performance.now() - start) / 1000
  for (const s of receivers) s.disconnect()
  await srv.close()
  latencies.sort((a, b) => a - b)
  return {
    name: `room fan-out ${RECEIVERS} receivers, ${paced ? 'paced 500/s' : 'unpaced'} (${transport})`,
    n: delivered,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: Math.round(delivered / seconds),
    lost: expected - delivered,
    duplicated,
    reordered,
  }
}

const results = []
for (const t of ['sse', 'polling']) results.push(await echo(t))
for (const t of ['sse', 'polling']) for (const paced of [false, true]) results.push(await fanout(t, paced))

console.log(`\nsocket-serve benchmarks — ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}, memory store\n`)
console.log('| benchmark | samples | p50 ms | p90 ms | p99 ms | deliveries/s | lost | dup | reordered |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.n} | ${fmt(r.p50)} | ${r.p90 === undefined ? '' : fmt(r.p90)} | ${fmt(r.p99)} | ${r.perSecond ?? ''} | ${r.lost ?? ''} | ${r.duplicated ?? ''} | ${r.reordered ?? ''} |`,
  )
}
process.exit(0)
