// The page side of the browser part of the bench (run.mjs, BENCH_PARTS=browser): bundled with
// esbuild into one script that server.mjs serves at /bench/page.js, so the page and the library
// share an origin. Both clients are in the bundle; the page connects with the one it is asked for.
//   window.bench.connect(lib, transport, url)   -> resolves once connected
//   window.bench.echo(count, warmup)            -> ack round trips, ms each
//   window.bench.streamEcho(count, warmup)      -> 'echo-back' emitted, 'echoed' received on the stream, ms each
//   window.bench.floor(count, warmup)           -> bare fetch POSTs to the server's /bench/echo, ms each (the HTTP floor)
//   window.bench.join(room), .clockOffset(), .startTicks(count), .ticks()
import { connect as ssConnect } from '@socket-serve/client'
import { io as sioConnect } from 'socket.io-client'

const now = () => performance.timeOrigin + performance.now()
let socket
let lib
let tickLatencies = []
let tickSeen
let tickDup = 0
let tickReord = 0
let tickMax = -1
let offset = 0

async function roundTrips(count, warmup, once) {
  for (let i = 0; i < warmup; i++) await once(i)
  const times = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await once(i)
    times.push(performance.now() - t)
  }
  return times
}

window.bench = {
  connect(which, transport, url) {
    lib = which
    socket =
      which === 'socket.io'
        ? sioConnect(url, { transports: [transport], forceNew: true, reconnection: false, timeout: 20_000 })
        : ssConnect(url, { transports: [transport], reconnection: false, timeout: 20_000 })
    socket.on('tick', (msg) => {
      const at = now()
      if (!tickSeen || !(msg.n >= 0 && msg.n < tickSeen.length)) return
      if (tickSeen[msg.n]) return void tickDup++
      tickSeen[msg.n] = 1
      if (msg.n < tickMax) tickReord++
      else tickMax = msg.n
      tickLatencies.push(at - (msg.t - offset))
    })
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(true))
      socket.once('connect_error', (err) => reject(new Error(String(err?.message ?? err))))
    })
  },
  ack(event, data) {
    return lib === 'socket.io' ? socket.timeout(10_000).emitWithAck(event, data) : socket.emitWithAck(event, data, { timeout: 10_000 })
  },
  echo(count, warmup) {
    return roundTrips(count, warmup, (i) => this.ack('echo', { i, text: 'hello' }))
  },
  floor(count, warmup) {
    const body = JSON.stringify({ i: 0, text: 'hello' })
    return roundTrips(count, warmup, async () => {
      const res = await fetch('/bench/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      await res.text()
    })
  },
  streamEcho(count, warmup) {
    let waiting
    socket.on('echoed', (msg) => {
      if (waiting && msg?.i === waiting.i) {
        const w = waiting
        waiting = undefined
        w.resolve()
      }
    })
    return roundTrips(
      count,
      warmup,
      (i) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`stream echo ${i}: nothing in 10 s`)), 10_000)
          waiting = { i, resolve: () => (clearTimeout(timer), resolve()) }
          socket.emit('echo-back', { i, text: 'hello' })
        }),
    )
  },
  join(room) {
    return this.ack('join', room)
  },
  /** server clock - page clock, from the quickest of a few round trips */
  async clockOffset() {
    let best = { rtt: Infinity, offset: 0 }
    for (let i = 0; i < 15; i++) {
      const t0 = now()
      const { t } = await (await fetch('/bench/clock')).json()
      const t1 = now()
      if (t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: t - (t0 + t1) / 2 }
    }
    offset = best.offset
    return offset
  },
  startTicks(count) {
    tickSeen = new Uint8Array(count)
    tickLatencies = []
    tickDup = 0
    tickReord = 0
    tickMax = -1
  },
  ticks() {
    return { latencies: tickLatencies, duplicated: tickDup, reordered: tickReord }
  },
  close() {
    socket?.disconnect()
  },
}
