// The scenarios a standard EventSource (one no one here wrote) must pass, reading the stream the way
// PROTOCOL.md lets it: `GET {base}/sse?sid=&st=`. It sends back only the last `id:` it saw; every
// message frame's id is the whole cursor, so that is enough to resume every log (direct, room,
// broadcast) exactly, through planned cuts (maxStreamDuration) and network drops (the proxy), on the
// memory store and on Redis. Used by test/integration/eventsource-package.test.ts and
// test/e2e/eventsource-chromium.test.ts.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { serve, type IO, type ServeOptions } from 'socket-serve'
import { startProxy, type Proxy } from './proxy.js'
import { rawConnect, type RawSession } from './raw-http.js'
import { sleep, until } from './server.js'
import { storeCases } from './stores.js'

export interface Received {
  data: string
  lastEventId: string
}

/** A standard EventSource reading one URL; `frames` is every message event it dispatched. */
export interface StandardClient {
  frames(): Promise<Received[]>
  close(): Promise<void>
}

export interface ClientKind {
  name: string
  /** starts reading `url` (an /sse URL through the proxy, on the origin of a PageServer) */
  open(url: string): Promise<StandardClient>
}

/** A node:http server with io.middleware() under /api/socket and a blank page at /page for Chromium. */
export interface PageServer {
  io: IO
  port: number
  url: string
  close(): Promise<void>
}

/** Reads the stream named by its query (`?src=`) with the browser's own EventSource. */
const PAGE = `<!doctype html><title>EventSource</title><script>
  window.got = []
  window.es = new EventSource(new URLSearchParams(location.search).get('src'))
  window.es.onmessage = (e) => window.got.push({ data: e.data, lastEventId: e.lastEventId })
</script>`

export async function startPageServer(options: ServeOptions, setup: (io: IO) => void): Promise<PageServer> {
  const io = serve(options)
  setup(io)
  const mw = io.middleware()
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/socket')) mw(req, res)
    else if (req.url?.startsWith('/page?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(PAGE)
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    io,
    port,
    url: `http://127.0.0.1:${port}/api/socket`,
    async close() {
      await io.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Call at the top of a test file: the scenarios, for one kind of client, on every store. */
export function standardClientSuite(kind: ClientKind): void {
  const stores = storeCases()
  describe.each(stores)(`${kind.name} on the $name store`, (store) => {
    let server: PageServer | undefined
    let proxy: Proxy | undefined
    let client: StandardClient | undefined

    afterEach(async () => {
      await client?.close()
      await proxy?.close()
      await server?.close()
      client = proxy = server = undefined
    })

    async function setUp(options: ServeOptions): Promise<{ session: RawSession; url: string }> {
      server = await startPageServer({ store: store.make(), ...options }, (io) => {
        io.onConnect(async (socket) => {
          await socket.join('lobby')
        })
      })
      proxy = await startProxy({ port: server.port })
      const session = await rawConnect(server.url)
      const url = `${proxy.url}/api/socket/sse?sid=${encodeURIComponent(session.sid)}&st=${encodeURIComponent(session.streamToken)}`
      return { session, url }
    }

    const opens = (frames: Received[]) => frames.map((f) => JSON.parse(f.data)).filter((f) => f.c === 'open')
    const messages = (frames: Received[], event: string) =>
      frames.map((f) => JSON.parse(f.data)).filter((f) => f.e === event).map((f) => f.d as number)

    it('gets every direct, room and broadcast message once, in order, through planned cuts and network drops', async () => {
      const { session, url } = await setUp({ maxStreamDuration: 1000 })
      client = await kind.open(url)
      await until(async () => opens(await client!.frames()).length === 1, 'the first open frame')
      const socket = (await server!.io.fetchSockets()).find((s) => s.id === session.sid)!
      let N = 0
      const round = async () => {
        await socket.emit('direct', N)
        await server!.io.to('lobby').emit('room', N)
        await server!.io.emit('everyone', N)
        N++
        await sleep(40)
      }
      // Messages flow throughout; each phase ends with the client's next stream open.
      for (const cut of ['planned', 'network', 'planned', 'network'] as const) {
        const before = opens(await client.frames()).length
        for (let i = 0; i < 5; i++) await round()
        if (cut === 'network') proxy!.cut()
        const end = Date.now() + 10_000
        while (opens(await client.frames()).length === before) {
          if (Date.now() > end) throw new Error(`no new stream after the ${cut} cut`)
          await round()
        }
      }
      for (let i = 0; i < 5; i++) await round()
      const got = async () => {
        const frames = await client!.frames()
        return ['direct', 'room', 'everyone'].every((e) => new Set(messages(frames, e)).size === N)
      }
      await until(got, 'every message', 30_000)
      await sleep(300) // a duplicate would arrive now
      const frames = await client!.frames()
      const expected = Array.from({ length: N }, (_, i) => i)
      expect(messages(frames, 'direct')).toEqual(expected)
      expect(messages(frames, 'room')).toEqual(expected)
      expect(messages(frames, 'everyone')).toEqual(expected)
      const streams = opens(frames)
      expect(streams.length).toBe(5) // 2 planned cuts, 2 network drops
      expect(N).toBeGreaterThan(60)
      expect(streams.every((o) => o.recovered === true)).toBe(true)
      console.log(`[standard-sse] ${store.name} / ${kind.name}: ${streams.length} streams (${streams.length - 1} cuts), ${frames.length - streams.length} messages`)
    })

    it('is told recovered: false in the open frame when the replay window was exceeded', async () => {
      const { session, url } = await setUp({ maxLogLength: 10 })
      client = await kind.open(url)
      await until(async () => opens(await client!.frames()).length === 1, 'the first open frame')
      const socket = (await server!.io.fetchSockets()).find((s) => s.id === session.sid)!
      for (let i = 0; i < 3; i++) await socket.emit('direct', i)
      await until(async () => messages(await client!.frames(), 'direct').length === 3, 'the first messages')
      proxy!.cut(1500) // away, and refused, while the log moves on past its bound
      for (let i = 3; i < 400; i++) await socket.emit('direct', i)
      await until(async () => opens(await client!.frames()).length === 2, 'the open frame after the drop', 20_000)
      await until(async () => messages(await client!.frames(), 'direct').at(-1) === 399, 'the newest message', 20_000)
      const frames = await client!.frames()
      expect(opens(frames).map((o) => o.recovered)).toEqual([true, false])
      const direct = messages(frames, 'direct')
      // what is left of the log arrives once, in order; what was trimmed is gone
      expect(direct.slice(0, 3)).toEqual([0, 1, 2])
      expect(direct.length).toBeLessThan(400)
      expect(direct.slice(3)).toEqual(Array.from({ length: direct.length - 3 }, (_, i) => 400 - (direct.length - 3) + i))
    })
  })
}
