import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { serve, type IO } from 'socket-serve'
import { startProxy, type Proxy } from '../support/proxy.js'
import { sleep, until } from '../support/server.js'
import { transports } from '../support/transports.js'

const RECEIVERS = 20
const MESSAGES = 2000

/**
 * DESIGN §3: no loss, no duplicates, order kept per stream, across forced
 * stream cuts (maxStreamDuration) and network drops (a proxy that kills every
 * connection and refuses new ones for a while).
 */
describe.each(transports)('delivery over $name', ({ transports: only }) => {
  let io: IO
  let httpServer: http.Server
  let proxy: Proxy
  const clients: ClientSocket[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await proxy?.close()
    await io?.close()
    httpServer?.closeAllConnections()
    await new Promise((r) => httpServer?.close(r))
  })

  it(`${MESSAGES} room messages reach ${RECEIVERS} clients once each, in order, through stream cuts and drops`, async () => {
    io = serve({ maxStreamDuration: 300, maxLogLength: 5000 }) // short streams: many cuts even with the default reconnection delays after each drop
    const streamsOpened = new Map<string, number>()
    const ticks = new Map<string, number[]>()
    io.onMessage('join', async (s) => {
      await s.join('soak')
      return 'joined'
    })
    io.onMessage('say', async (_s, n: number) => {
      await io.to('soak').emit('msg', n)
      return n
    })
    io.onMessage('tick', (s, n: number) => {
      if (!ticks.has(s.id)) ticks.set(s.id, [])
      ticks.get(s.id)!.push(n)
      return n
    })
    const mw = io.middleware()
    httpServer = http.createServer((req, res) => {
      if (req.method === 'GET' && /\/(sse|poll)/.test(req.url ?? '')) {
        const sid = String(req.headers['x-socket-sid'])
        streamsOpened.set(sid, (streamsOpened.get(sid) ?? 0) + 1)
      }
      mw(req, res)
    })
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r))
    const port = (httpServer.address() as AddressInfo).port
    proxy = await startProxy({ port })

    const opts = { transports: only }
    // Receivers go through the proxy; the sender talks to the server directly.
    const received: number[][] = []
    const ticksSent: number[] = []
    for (let i = 0; i < RECEIVERS; i++) {
      const socket = connect(`${proxy.url}/api/socket`, opts)
      clients.push(socket)
      const got: number[] = []
      received.push(got)
      ticksSent.push(0)
      socket.on('msg', (n: number) => {
        got.push(n)
        // Client -> server traffic through the same drops: each tick must run exactly once.
        if (n % 100 === 99) socket.emit('tick', ++ticksSent[i]!, () => {})
      })
      await new Promise<void>((r) => socket.once('connect', () => r()))
      expect(await socket.emitWithAck('join', null)).toBe('joined')
    }
    const sender = connect(`http://127.0.0.1:${port}/api/socket`, opts)
    clients.push(sender)
    await new Promise<void>((r) => sender.once('connect', () => r()))

    // Paced so the run spans many stream cuts; three network drops along the way.
    const drops = [500, 1000, 1500]
    const acks: Promise<unknown>[] = []
    for (let n = 0; n < MESSAGES; n++) {
      acks.push(sender.emitWithAck('say', n, { timeout: 30_000 }))
      if (drops.includes(n)) proxy.cut(400)
      if (n % 20 === 19) await sleep(40)
    }
    expect((await Promise.all(acks)).length).toBe(MESSAGES)

    await until(() => received.every((r) => r.length >= MESSAGES), 'every receiver to get every message', 60_000)
    await sleep(300) // late duplicates would show up here
    const expected = Array.from({ length: MESSAGES }, (_, i) => i)
    for (const got of received) expect(got).toEqual(expected) // 0 lost, 0 duplicated, in order

    // The cuts really happened: each receiver opened many streams, and the proxy re-accepted connections.
    const receiverIds = clients.slice(0, RECEIVERS).map((c) => c.id!)
    // Each receiver opened a few streams (one can spend much of the run in its reconnection delay
    // after a drop: a loaded CI run once saw 5 for one receiver), and all of them many: the 300 ms cuts.
    for (const sid of receiverIds) expect(streamsOpened.get(sid) ?? 0).toBeGreaterThanOrEqual(3)
    expect(receiverIds.reduce((n, sid) => n + (streamsOpened.get(sid) ?? 0), 0)).toBeGreaterThanOrEqual(RECEIVERS * 6)
    expect(proxy.accepted).toBeGreaterThan(RECEIVERS * 3)

    // Every tick a receiver sent ran exactly once, in order, despite the drops.
    await until(() => receiverIds.every((sid, i) => (ticks.get(sid)?.length ?? 0) >= ticksSent[i]!), 'ticks', 30_000)
    receiverIds.forEach((sid, i) => {
      expect(ticks.get(sid)).toEqual(Array.from({ length: ticksSent[i]! }, (_, k) => k + 1))
    })
  }, 120_000)
})

describe('idempotent message POSTs', () => {
  it('a retried POST runs its handlers once and gets the same acks', async () => {
    const io = serve()
    let runs = 0
    io.onMessage('count', () => ++runs)
    const server = http.createServer(io.middleware())
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/socket`
    try {
      const { sid, token } = (await (await fetch(`${base}/connect`, { method: 'POST', body: '{}' })).json()) as { sid: string; token: string }
      const post = () =>
        fetch(`${base}/message`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-socket-sid': sid, 'x-socket-token': token },
          body: JSON.stringify({ messages: [{ id: 1, event: 'count', ack: true }, { id: 2, event: 'count', ack: true }] }),
        }).then(async (r) => [r.status, await r.json()])
      const first = await post()
      const retries = await Promise.all([post(), post()])
      expect(first).toEqual([200, { acks: [{ id: 1, data: 1 }, { id: 2, data: 2 }] }])
      expect(retries).toEqual([first, first])
      expect(runs).toBe(2)
    } finally {
      await io.close()
      server.closeAllConnections()
      server.close()
    }
  })
})
