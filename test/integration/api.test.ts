import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { SocketServeError, type IO, type ServeOptions, type Socket } from 'socket-serve'
import { startServer as startTestServer, until, type TestServer } from '../support/server.js'
import { storeCases } from '../support/stores.js'
import { transports } from '../support/transports.js'

const stores = storeCases()
const cases = transports.flatMap((t) => stores.map((s) => ({ name: `${t.name}, ${s.name} store`, transports: t.transports, store: s })))

/**
 * Every server and client API call of DESIGN §2, end to end over real HTTP,
 * over SSE and over long-polling only, on the memory store and on Redis.
 */
describe.each(cases)('API over $name', ({ transports: only, store }) => {
  let server: TestServer
  const startServer = (options: ServeOptions = {}, setup?: (io: IO) => void) => startTestServer({ store: store.make(), ...options }, setup)
  const clients: ClientSocket[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
  })

  async function open(opts: Record<string, unknown> = {}): Promise<ClientSocket> {
    const socket = connect(server.url, { transports: only, ...opts })
    clients.push(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    return socket
  }

  it('fires connect with an id, and onConnect emits reach the client', async () => {
    server = await startServer({}, (io) => io.onConnect((s) => s.emit('welcome', { id: s.id })))
    const welcomes: unknown[] = []
    const socket = connect(server.url, { transports: only })
    clients.push(socket)
    socket.on('welcome', (d: unknown) => welcomes.push(d))
    await until(() => welcomes.length === 1, 'welcome')
    expect(socket.connected).toBe(true)
    expect(socket.id).toMatch(/^[\w-]{20}$/)
    expect(welcomes).toEqual([{ id: socket.id }])
    expect(socket.transport).toBe(only[0])
  })

  it('answers emit acks with the handler return value, and with the ack callback', async () => {
    server = await startServer({}, (io) => {
      io.onMessage('double', (_s, n: number) => n * 2)
      io.onMessage('later', async (_s, n: number) => {
        await new Promise((r) => setTimeout(r, 20))
        return n + 1
      })
      io.onMessage('callback', (_s, n: number, ack) => void setTimeout(() => ack(`cb:${n}`), 10))
    })
    const socket = await open()
    const viaCallback = await new Promise((resolve) => socket.emit('double', 21, resolve))
    expect(viaCallback).toBe(42)
    expect(await socket.emitWithAck('later', 1)).toBe(2)
    expect(await socket.emitWithAck('callback', 7)).toBe('cb:7')
  })

  it('runs a client’s messages in emit order, batched, each exactly once', async () => {
    const seen: number[] = []
    server = await startServer({}, (io) => io.onMessage('n', (_s, n: number) => void seen.push(n)))
    const socket = await open()
    for (let i = 0; i < 300; i++) socket.emit('n', i)
    await socket.emitWithAck('n', 300)
    expect(seen).toEqual(Array.from({ length: 301 }, (_, i) => i))
  })

  it('rejects emitWithAck with a typed error: unknown event, handler failure, timeout', async () => {
    server = await startServer({}, (io) => {
      io.onMessage('boom', () => {
        throw new Error('secret internal detail')
      })
      io.onMessage('never', (_s, _d, _ack) => undefined)
    })
    const socket = await open()
    const unknown = await socket.emitWithAck('nobody-listens', 1).catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(SocketServeError)
    expect((unknown as SocketServeError).code).toBe('UNKNOWN_EVENT')
    const boom = (await socket.emitWithAck('boom', 1).catch((e: unknown) => e)) as SocketServeError
    expect(boom.code).toBe('HANDLER_ERROR')
    expect(boom.message).not.toContain('secret')
    const slow = (await socket.emitWithAck('never', 1, { timeout: 300 }).catch((e: unknown) => e)) as SocketServeError
    expect(slow.code).toBe('ACK_TIMEOUT')
  })

  it('server emitWithAck resolves with the client’s ack', async () => {
    let io!: IO
    server = await startServer({}, (x) => {
      io = x
      x.onMessage('ask-me', async (s) => s.emitWithAck('question', { q: 'name?' }, { timeout: 5000 }))
    })
    const socket = await open()
    socket.on('question', (data: { q: string }, ack: (reply: unknown) => void) => ack(`answer to ${data.q}`))
    expect(await socket.emitWithAck('ask-me', null)).toBe('answer to name?')
    // A client that never answers: the server's promise rejects with ACK_TIMEOUT.
    socket.off('question')
    const [remote] = await io.fetchSockets()
    const err = (await remote!.emitWithAck('question', { q: 'again' }, { timeout: 300 }).catch((e: unknown) => e)) as SocketServeError
    expect(err.code).toBe('ACK_TIMEOUT')
  })

  it('broadcast reaches everyone but the sender; io.emit reaches everyone', async () => {
    server = await startServer({}, (io) => {
      io.onMessage('shout', async (s, d) => {
        await s.broadcast('shout', d)
        return 'ok'
      })
      io.onMessage('announce', async (_s, d) => {
        await io.emit('announce', d)
        return 'ok'
      })
    })
    const [a, b, c] = [await open(), await open(), await open()]
    const got = new Map<ClientSocket, unknown[]>([a, b, c].map((s) => [s, []]))
    for (const s of [a, b, c]) {
      s.on('shout', (d: unknown) => got.get(s)!.push(['shout', d]))
      s.on('announce', (d: unknown) => got.get(s)!.push(['announce', d]))
    }
    await a.emitWithAck('shout', 1)
    await a.emitWithAck('announce', 2)
    await until(() => got.get(a)!.length === 1 && got.get(b)!.length === 2 && got.get(c)!.length === 2, 'deliveries')
    expect(got.get(a)).toEqual([['announce', 2]])
    expect(got.get(b)).toEqual([['shout', 1], ['announce', 2]])
    expect(got.get(c)).toEqual([['shout', 1], ['announce', 2]])
  })

  it('rooms: join, socket.to(room) skips the sender, io.to(room) does not, leave stops delivery', async () => {
    let io!: IO
    server = await startServer({}, (x) => {
      io = x
      x.onMessage('join', async (s, room: string) => {
        await s.join(room)
        return [...s.rooms]
      })
      x.onMessage('leave', async (s, room: string) => {
        await s.leave(room)
        return [...s.rooms]
      })
      x.onMessage('say', async (s, { room, text }: { room: string; text: string }) => {
        await s.to(room).emit('said', text)
        return 'ok'
      })
    })
    const [a, b, outsider] = [await open(), await open(), await open()]
    const got = new Map<ClientSocket, string[]>([a, b, outsider].map((s) => [s, []]))
    for (const s of [a, b, outsider]) s.on('said', (t: string) => got.get(s)!.push(t))
    expect(await a.emitWithAck('join', 'blue')).toEqual(['blue'])
    expect(await b.emitWithAck('join', 'blue')).toEqual(['blue'])
    await a.emitWithAck('say', { room: 'blue', text: 'from a' })
    await io.to('blue').emit('said', 'from server')
    await until(() => got.get(b)!.length === 2 && got.get(a)!.length === 1, 'room messages')
    expect(got.get(a)).toEqual(['from server'])
    expect(got.get(b)).toEqual(['from a', 'from server'])
    expect((await io.in('blue').fetchSockets()).map((s) => s.id).sort()).toEqual([a.id, b.id].sort())

    expect(await b.emitWithAck('leave', 'blue')).toEqual([])
    await io.to('blue').emit('said', 'after leave')
    await until(() => got.get(a)!.length === 2, 'message after leave')
    // A marker through the direct channel proves b had every chance to receive it.
    await new Promise<void>((resolve) => {
      b.once('marker', () => resolve())
      void io.fetchSocket(b.id!).then((s) => s!.emit('marker'))
    })
    expect(got.get(b)).toEqual(['from a', 'from server'])
    expect(got.get(outsider)).toEqual([])
    expect((await io.in('blue').fetchSockets()).map((s) => s.id)).toEqual([a.id])
  })

  it('get/set session state persists across requests; fetchSockets sees it', async () => {
    let io!: IO
    server = await startServer({}, (x) => {
      io = x
      x.onMessage('set-name', async (s, name: string) => {
        await s.set('name', name)
        return 'ok'
      })
      x.onMessage('get-name', (s) => s.get('name'))
    })
    const socket = await open()
    await socket.emitWithAck('set-name', 'Ada')
    expect(await socket.emitWithAck('get-name', null)).toBe('Ada')
    const remote = await io.fetchSocket(socket.id!)
    expect(remote!.get('name')).toBe('Ada')
    expect((await io.fetchSockets()).map((s) => s.id)).toEqual([socket.id])
  })

  it('io.use middleware and auth can refuse a connection with a typed connect_error', async () => {
    server = await startServer(
      {
        auth: (_req, payload) => {
          const token = (payload as { token?: string } | undefined)?.token
          if (token !== 'letmein') throw new SocketServeError('UNAUTHORIZED', 'bad credentials')
          return { name: 'alice' }
        },
      },
      (io) => {
        io.use((socket, next) => next((socket.user as { name: string }).name === 'mallory' ? new Error('banned') : undefined))
        io.onMessage('whoami', (s) => s.user)
      },
    )
    const refused = connect(server.url, { transports: only, auth: { token: 'nope' }, reconnection: false })
    clients.push(refused)
    const err = await new Promise<SocketServeError>((resolve) => refused.once('connect_error', resolve))
    expect(err.code).toBe('UNAUTHORIZED')
    expect(err.status).toBe(401)
    expect(refused.connected).toBe(false)

    const ok = await open({ auth: { token: 'letmein' } })
    expect(await ok.emitWithAck('whoami', null)).toEqual({ name: 'alice' })
  })

  it('io.use middleware refusal arrives as connect_error FORBIDDEN with its message', async () => {
    server = await startServer({}, (io) => io.use(async () => Promise.reject(new Error('closed for maintenance'))))
    const socket = connect(server.url, { transports: only, reconnection: false })
    clients.push(socket)
    const err = await new Promise<SocketServeError>((resolve) => socket.once('connect_error', resolve))
    expect(err.code).toBe('FORBIDDEN')
    expect(err.message).toContain('closed for maintenance')
    expect((await server.io.fetchSockets()).length).toBe(0)
  })

  it('client disconnect runs onDisconnect exactly once and ends the session', async () => {
    const ended: [string, string][] = []
    server = await startServer({}, (io) => io.onDisconnect((s, reason) => void ended.push([s.id, reason])))
    const socket = await open()
    const id = socket.id!
    const reasons: string[] = []
    socket.on('disconnect', (r: string) => reasons.push(r))
    socket.disconnect()
    await until(() => ended.length === 1, 'onDisconnect')
    expect(ended).toEqual([[id, 'client namespace disconnect']])
    expect(reasons).toEqual(['io client disconnect'])
    expect(socket.connected).toBe(false)
    expect(await server.io.fetchSockets()).toEqual([])
    await server.io.sweep()
    expect(ended.length).toBe(1)
  })

  it('server socket.disconnect() tells the client, which does not reconnect', async () => {
    const ended: string[] = []
    server = await startServer({}, (io) => {
      io.onDisconnect((_s, reason) => void ended.push(reason))
      io.onMessage('kick-me', async (s) => {
        setTimeout(() => void s.disconnect(), 10)
        return 'bye'
      })
    })
    const socket = await open()
    const reasons: string[] = []
    socket.on('disconnect', (r: string) => reasons.push(r))
    let attempts = 0
    socket.on('reconnect_attempt', () => attempts++)
    await socket.emitWithAck('kick-me', null)
    await until(() => reasons.length === 1, 'disconnect event')
    expect(reasons).toEqual(['io server disconnect'])
    expect(ended).toEqual(['server namespace disconnect'])
    await new Promise((r) => setTimeout(r, 300))
    expect(attempts).toBe(0)
    expect(socket.connected).toBe(false)
  })

  it('a session whose client vanished is swept once, after disconnectTimeout', async () => {
    const ended: [string, string][] = []
    server = await startServer({ disconnectTimeout: 300, pingInterval: 100, sweepInterval: 0 }, (io) =>
      io.onDisconnect((s, reason) => void ended.push([s.id, reason])),
    )
    // A raw session that never opens a stream: a client that vanished right after connecting.
    const res = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    const { sid } = (await res.json()) as { sid: string }
    // A live client beside it stays connected through the sweeps.
    const live = await open()
    await new Promise((r) => setTimeout(r, 450))
    // Concurrent and repeated sweeps: onDisconnect still runs once.
    await Promise.all([server.io.sweep(), server.io.sweep()])
    expect(await server.io.sweep()).toBe(0)
    expect(ended).toEqual([[sid, 'ping timeout']])
    expect(live.connected).toBe(true)
    expect((await server.io.fetchSockets()).map((s) => s.id)).toEqual([live.id])
  })

  it('emits made before connect and while offline are buffered; volatile ones are dropped', async () => {
    const seen: string[] = []
    server = await startServer({}, (io) => io.onMessage('m', (_s, d: string) => void seen.push(d)))
    const socket = connect(server.url, { transports: only })
    clients.push(socket)
    socket.emit('m', 'before-connect')
    socket.volatile.emit('m', 'volatile-before-connect')
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    await socket.emitWithAck('m', 'after')
    expect(seen).toEqual(['before-connect', 'after'])
  })

  it('typed events compile and work', async () => {
    // Socket.IO's map style, shared by both sides: the ack is a trailing callback.
    interface ClientToServer {
      add: (nums: { a: number; b: number }, ack: (sum: number) => void) => void
    }
    interface ServerToClient {
      sum: (n: number) => void
    }
    server = await startServer()
    const io = server.io as unknown as IO<ClientToServer, ServerToClient, { total: number }>
    io.onMessage('add', async (s, { a, b }) => {
      await s.set('total', a + b)
      await s.emit('sum', a + b)
      return a + b
    })
    const socket = (await open()) as ClientSocket<ServerToClient, ClientToServer>
    const sums: number[] = []
    socket.on('sum', (n) => sums.push(n))
    const sum: number = await socket.emitWithAck('add', { a: 2, b: 3 })
    expect(sum).toBe(5)
    await until(() => sums.length === 1, 'sum event')
    expect(sums).toEqual([5])
  })
})
