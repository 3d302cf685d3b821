import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { startProxy, type Proxy } from '../support/proxy.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'
import { transports } from '../support/transports.js'

/** Reconnection keeps the session and replays what was missed (DESIGN §3). */
describe.each(transports)('recovery over $name', ({ transports: only }) => {
  let server: TestServer
  let proxy: Proxy | undefined
  const clients: ClientSocket[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await proxy?.close()
    proxy = undefined
    await server?.close()
  })

  function open(url: string, opts: Record<string, unknown> = {}): Promise<ClientSocket> {
    const socket = connect(url, { transports: only, ...opts })
    clients.push(socket)
    return new Promise((resolve) => socket.once('connect', () => resolve(socket)))
  }

  it('a planned stream cut (maxStreamDuration) is invisible: no disconnect, nothing lost', async () => {
    server = await startServer({ maxStreamDuration: 300 })
    const socket = await open(server.url)
    const events: string[] = []
    for (const e of ['disconnect', 'connect', 'reconnect_attempt']) socket.on(e, () => events.push(e))
    const got: number[] = []
    socket.on('n', (n: number) => got.push(n))
    const [remote] = await server.io.fetchSockets()
    for (let i = 0; i < 40; i++) {
      await remote!.emit('n', i)
      await sleep(25) // 1 s: at least three cuts
    }
    await until(() => got.length === 40, 'all messages')
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i))
    expect(events).toEqual([])
    expect(socket.connected).toBe(true)
  })

  it('after a network drop the client reconnects to the same session and gets what it missed', async () => {
    server = await startServer({}, (io) => {
      io.onMessage('join', async (s, room: string) => {
        await s.join(room)
        await s.set('joined', room)
        return 'ok'
      })
      io.onMessage('state', (s) => ({ rooms: [...s.rooms], joined: s.get('joined') }))
    })
    proxy = await startProxy({ port: server.port })
    const socket = await open(`${proxy.url}/api/socket`)
    const id = socket.id
    await socket.emitWithAck('join', 'room-1')
    const got: string[] = []
    socket.on('m', (m: string) => got.push(m))
    const disconnects: string[] = []
    socket.on('disconnect', (r: string) => disconnects.push(r))
    let reconnected = 0
    socket.on('reconnect', () => reconnected++)

    proxy.cut(1500) // the network is gone for 1.5 s
    await until(() => !socket.connected, 'the client to notice the drop')
    // Sent while the client cannot hear: direct, room and broadcast.
    const [remote] = await server.io.fetchSockets()
    await remote!.emit('m', 'direct')
    await server.io.to('room-1').emit('m', 'room')
    await server.io.emit('m', 'everyone')

    await until(() => got.length === 3 && socket.connected, 'replay after reconnect')
    expect(socket.id).toBe(id)
    expect(socket.recovered).toBe(true)
    expect(disconnects).toEqual(['transport close'])
    expect(reconnected).toBe(1)
    expect([...got].sort()).toEqual(['direct', 'everyone', 'room'])
    expect(await socket.emitWithAck('state', null)).toEqual({ rooms: ['room-1'], joined: 'room-1' })
  })

  it('beyond the replay window the client is told: recovered is false', async () => {
    server = await startServer({ maxLogLength: 5 })
    proxy = await startProxy({ port: server.port })
    const socket = await open(`${proxy.url}/api/socket`)
    const got: number[] = []
    socket.on('n', (n: number) => got.push(n))
    proxy.cut(1000)
    await until(() => !socket.connected, 'the drop')
    const [remote] = await server.io.fetchSockets()
    for (let i = 0; i < 20; i++) await remote!.emit('n', i)
    await until(() => socket.connected, 'reconnect')
    await until(() => got.length > 0, 'what is left of the log')
    expect(socket.recovered).toBe(false)
    // What the window still holds arrives, in order, without duplicates.
    expect(got).toEqual(got.slice().sort((a, b) => a - b))
    expect(new Set(got).size).toBe(got.length)
    expect(got.at(-1)).toBe(19)
  })

  it('a session ended beyond its recovery window is replaced by a new one (recovered false)', async () => {
    server = await startServer({ disconnectTimeout: 200, pingInterval: 100, recoveryWindow: 0 })
    proxy = await startProxy({ port: server.port })
    const socket = await open(`${proxy.url}/api/socket`)
    const firstId = socket.id
    proxy.cut(1200)
    await until(() => !socket.connected, 'the drop')
    await sleep(400)
    expect(await server.io.sweep()).toBe(1)
    await until(() => socket.connected, 'reconnect with a new session')
    expect(socket.id).not.toBe(firstId)
    expect(socket.recovered).toBe(false)
  })
})
