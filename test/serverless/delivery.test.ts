// Delivery under the platform emulator (test/support/platform.ts): instances killed the moment they
// are idle, cold starts, churn, POST answers lost after the handler ran. Clients in a room (SSE and
// polling) emit with and without acks; every message received by every client is counted.
import { describe, expect, it } from 'vitest'
import { client, counter, deploy, runsOff, sleep, tally, until, type Client } from './harness.js'

const ROOM = 'r'

interface Received {
  got: string[]
}

function listen(c: Client): Received {
  const r: Received = { got: [] }
  c.socket.on('msg', (m: { room: string; uid: string }) => {
    if (m.room === ROOM) r.got.push(m.uid)
  })
  return r
}

describe.each([
  { name: 'Lambda style (concurrency 1)', concurrency: 1, perSender: 16 },
  { name: 'Fluid style (concurrency 8)', concurrency: 8, perSender: 30 },
])('delivery under the platform emulator, $name', ({ name, concurrency, perSender }) => {
  it('room messages with and without acks: 0 lost, 0 duplicated, per-sender order kept, 1 handler run each', async () => {
    const { redis, platform } = await deploy({ concurrency, lostResponses: 0.15, seed: 7 })
    const clients = await Promise.all([
      client(platform.url, 'sse'),
      client(platform.url, 'sse'),
      client(platform.url, 'polling'),
      client(platform.url, 'polling'),
    ])
    for (const c of clients) expect(await c.socket.emitWithAck('join', { room: ROOM })).toBe('joined')
    const received = clients.map(listen)

    // Every other message asks for an ack, a few at a time, so POSTs carry batches of 1..3; one
    // in four travels alone in its POST with nothing acked beside it. Each handler does 20 ms of
    // pretend I/O before it emits, as real handlers do.
    const sent: string[] = []
    const acks = new Map<string, unknown>()
    const acked: string[] = []
    await Promise.all(
      clients.map(async (c, s) => {
        let lastAck: Promise<void> = Promise.resolve()
        for (let k = 0; k < perSender; k++) {
          const uid = `c${s}-${k}`
          sent.push(uid)
          const data = { room: ROOM, uid, work: 20 }
          if (k % 2 === 0) {
            acked.push(uid)
            lastAck = new Promise((resolve) => c.socket.emit('say', data, (reply: unknown) => resolve(void acks.set(uid, reply))))
          } else if (k % 4 === 3) {
            await lastAck // the queue is empty: this one leaves alone
            c.socket.emit('say', data)
            await sleep(30)
          } else {
            c.socket.emit('say', data)
          }
          await sleep(k % 3 === 2 ? 200 : 15)
        }
      }),
    )

    const all = await until(() => received.every((r) => r.got.length >= sent.length) && acks.size === acked.length, 45_000)
    await sleep(500) // duplicates would arrive now
    const runs = await counter(redis, 'runs')
    console.log(
      `${platform.summary(`delivery, ${name}`)}; messages ${sent.length} (acked ${acked.length}) to ${clients.length} clients, ` +
        `received ${received.map((r) => r.got.length).join('/')}, acks ${acks.size}, handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}`,
    )
    received.forEach((r, i) => {
      const t = tally(r.got, sent)
      expect({ client: i, lost: t.lost.length, duplicated: t.duplicated, outOfOrder: t.outOfOrder }, `client ${i} (${clients[i]!.transport}) lost ${t.lost.slice(0, 10)}`).toEqual({
        client: i,
        lost: 0,
        duplicated: [],
        outOfOrder: 0,
      })
    })
    expect(all).toBe(true)
    const badAcks = acked.filter((uid) => JSON.stringify(acks.get(uid)) !== JSON.stringify({ uid }))
    expect(badAcks.map((uid) => `${uid}: ${describeAck(acks, uid)}`)).toEqual([])
    expect(runsOff(runs, sent)).toEqual([])
    // The platform really churned: instances came and went under the clients, answers were lost.
    expect(platform.counts.coldStarts).toBeGreaterThan(clients.length)
    expect(platform.counts.kills).toBeGreaterThan(0)
    expect(platform.counts.lostResponses).toBeGreaterThan(0)
  }, 90_000)
})

function describeAck(acks: Map<string, unknown>, uid: string): string {
  if (!acks.has(uid)) return 'no ack'
  const a = acks.get(uid)
  return a instanceof Error ? `${(a as Error & { code?: string }).code}: ${a.message}` : JSON.stringify(a)
}
