// Faults beyond the platform's own kills, under the emulator: kill -9 of the instances holding
// clients' streams, and a redis-server restart, while a client sends room messages without acks.
// Every accepted message (the client never drops one: it resends until the server answers)
// reaches every client exactly once, in order.
import { describe, expect, it } from 'vitest'
import { client, counter, deploy, posts, runsOff, sleep, tally, until, type Client } from './harness.js'
import type { Platform } from '../support/platform.js'

const ROOM = 'f'

function listen(c: Client): string[] {
  const got: string[] = []
  c.socket.on('msg', (m: { room: string; uid: string }) => {
    if (m.room === ROOM) got.push(m.uid)
  })
  return got
}

async function room(platform: Platform): Promise<{ clients: Client[]; got: string[][] }> {
  const clients = await Promise.all([
    client(platform.url, 'sse'),
    client(platform.url, 'polling'),
    client(platform.url, 'sse'),
    client(platform.url, 'polling'),
  ])
  for (const c of clients) {
    const joined = await c.socket.emitWithAck('join', { room: ROOM }).catch((err: Error) => `${err.message}; POSTs: ${posts(platform, c.id)}`)
    expect(joined).toBe('joined')
  }
  return { clients, got: clients.map(listen) }
}

function expectExactlyOnce(platform: Platform, got: string[][], sent: string[], clients: Client[]): void {
  if (got.some((g) => tally(g, sent).lost.length > 0)) {
    // What the senders' POSTs met, and what the instances said, to tell a server bug from a test bug.
    for (const c of clients.slice(0, 2)) console.log(`POSTs of ${c.id}: ${posts(platform, c.id)}`)
    console.log(platform.stderr.join('\n').slice(0, 4000))
  }
  got.forEach((g, i) => {
    const t = tally(g, sent)
    expect({ lost: t.lost.length, duplicated: t.duplicated, outOfOrder: t.outOfOrder }, `client ${i} (${clients[i]!.transport}) lost ${t.lost.slice(0, 10)}`).toEqual({
      lost: 0,
      duplicated: [],
      outOfOrder: 0,
    })
  })
}

describe('faults under the platform emulator', () => {
  it('kill -9 of the instances holding streams, twice, mid-traffic: every message exactly once, in order', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, lostResponses: 0.1, seed: 21 })
    const { clients, got } = await room(platform)
    const N = 60
    const sent: string[] = []
    /** stream instances killed at each of the two points */
    const killed: number[] = []
    for (let k = 0; k < N; k++) {
      const uid = `c${k % 2}-${k}`
      sent.push(uid)
      clients[k % 2]!.socket.emit('say', { room: ROOM, uid, work: 5 })
      if (k === 20 || k === 40) {
        // Lambda style: each open stream is its own instance. Once at least three of the four
        // clients' streams are open in a started function (a poll may be between two requests, a
        // reopened stream may wait for its cold start), kill every one of them.
        const streams = () => [...platform.holding('/sse'), ...platform.holding('/poll')]
        const waitStart = Date.now()
        const enough = await until(() => streams().length >= 3, 8000)
        if (!enough) {
          const open = platform.log.filter((e) => e.outcome === 'open' || e.start > waitStart - 2000).filter((e) => e.route === '/sse' || e.route === '/poll')
          console.log(`at message ${k}: ${streams().length} streams open after 8 s; stream requests since: ${open.map((e) => `${e.route}#${e.instance} ${e.sid?.slice(0, 4)} +${e.start - waitStart}ms ${e.outcome} ${e.ms}ms`).join(', ')}`)
        }
        // All at once: a poll that ends while another kill is under way would slip away.
        const results = await Promise.all(streams().map((inst) => platform.kill9(inst.pid)))
        killed.push(results.filter(Boolean).length)
      }
      await sleep(40)
    }
    const all = await until(() => got.every((g) => g.length >= N), 40_000)
    await sleep(500)
    const runs = await counter(redis, 'runs')
    console.log(
      `${platform.summary('faults, kill -9 mid-stream')}; stream instances killed by the test ${killed.join(' + ')}, messages ${N} to ${clients.length} clients, ` +
        `received ${got.map((g) => g.length).join('/')}, handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}`,
    )
    expectExactlyOnce(platform, got, sent, clients)
    expect(all).toBe(true)
    expect(runsOff(runs, sent)).toEqual([])
    expect(killed).toHaveLength(2)
    expect(killed.every((n) => n >= 1) && killed[0]! + killed[1]! >= 3, `streams killed: ${killed}`).toBe(true)
  }, 90_000)

  it('redis-server restart mid-traffic: every message exactly once, in order', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, lostResponses: 0.1, seed: 22, appendonly: true })
    const { clients, got } = await room(platform)
    const N = 60
    const sent: string[] = []
    let restartMs = 0
    for (let k = 0; k < N; k++) {
      const uid = `c${k % 2}-${k}`
      sent.push(uid)
      clients[k % 2]!.socket.emit('say', { room: ROOM, uid, work: 5 })
      if (k === 20) {
        const t = Date.now()
        await redis.restart() // clean shutdown: the append-only file keeps what Redis acknowledged
        restartMs = Date.now() - t
      }
      await sleep(40)
    }
    const all = await until(() => got.every((g) => g.length >= N), 45_000)
    await sleep(500)
    const runs = await counter(redis, 'runs')
    console.log(
      `${platform.summary('faults, redis restart')}; restart took ${restartMs} ms, messages ${N} to ${clients.length} clients, ` +
        `received ${got.map((g) => g.length).join('/')}, handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}, ` +
        `clients ${clients.map((c) => (c.socket.connected ? 'connected' : 'down')).join('/')}`,
    )
    expectExactlyOnce(platform, got, sent, clients)
    expect(all).toBe(true)
    expect(runsOff(runs, sent)).toEqual([])
  }, 90_000)
})
