// The server the attack bench (attacks.mjs) probes, as its own process so its memory is its own:
//
//   BENCH_LIMITS=off|defaults  BENCH_REDIS=redis://127.0.0.1:PORT  node --expose-gc attack-server.mjs
//
// `off` sets every bound of serve({ limits }) to 0 (none): the server as it was before them.
// Prints `LISTENING <port>`. Events: 'echo' (acks its data), 'join' (joins the room), 'ask' (the
// server emitWithAck's its client, never awaited). GET /bench/stats: gc() x3, then memory, streams
// and pending acks. Exits by itself after BENCH_SERVER_MAX_MS (default 10 min).
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { serve } from 'socket-serve'

const OFF = { connectsPerMinute: 0, sessions: 0, roomsPerSession: 0, streamsPerSession: 0, pendingAcksPerSession: 0, metricKeys: 0, streamBuffer: 0, bodyTimeout: 0 }
const limits = process.env.BENCH_LIMITS === 'off' ? OFF : undefined
const io = serve({ redisUrl: process.env.BENCH_REDIS, limits, inspector: { token: 'bench' }, ackTimeout: 60_000 })
io.onMessage('echo', (_s, d) => d)
io.onMessage('join', async (socket, room) => {
  await socket.join(room)
  return 'ok'
})
io.onMessage('ask', (socket) => {
  socket.emitWithAck('question', 'x'.repeat(100), { timeout: 60_000 }).catch(() => {})
})

const mw = io.middleware()
const server = http.createServer(async (req, res) => {
  if (req.url === '/bench/stats') {
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.()
      await sleep(20)
    }
    const m = process.memoryUsage()
    const { user, system } = process.cpuUsage()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ rss: m.rss, heap: m.heapUsed, external: m.external, cpuUs: user + system, streams: io.hub.streamCount, pendingAcks: io.core.acks.pending?.size ?? 0 }))
    return
  }
  if (req.url === '/bench/broadcast' && req.method === 'POST') {
    const big = 'x'.repeat(100_000)
    for (let i = 0; i < 100; i++) await io.emit('big', big)
    res.writeHead(200)
    res.end('{}')
    return
  }
  mw(req, res)
})
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`))
setTimeout(() => process.exit(0), Number(process.env.BENCH_SERVER_MAX_MS ?? 600_000)).unref()
process.on('SIGTERM', () => process.exit(0))
