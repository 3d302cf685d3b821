import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { startProxy, type Proxy } from '../support/proxy.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { sleep, startServer, until, type TestServer } from '../support/server.js'
import { transports } from '../support/transports.js'

/**
 * Liveness is not recovery (DESIGN §3): a client that went quiet gets onDisconnect after
 * disconnectTimeout, but its session, logs and message ids stay for the recovery window, so
 * when it comes back nothing is lost and nothing runs twice.
 */
describe.each(transports)('recovery window over $name', ({ transports: only }) => {
  let redis: RedisServer | undefined
  let server: TestServer | undefined
  let proxy: Proxy | undefined
  const clients: ClientSocket[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await proxy?.close()
    await server?.close()
    await redis?.stop()
    proxy = server = redis = undefined
  })

  it('a POST whose answer is lost, then offline past disconnectTimeout: onDisconnect once; back within the window, the same session resumes, the ack is the real one and the handler ran once', async () => {
    redis = await startRedis()
    let runs = 0
    const connects: boolean[] = []
    const disconnects: string[] = []
    server = await startServer({ store: redisStore(redis.url), disconnectTimeout: 600 }, (io) => {
      io.onConnect((socket) => void connects.push(socket.recovered))
      io.onDisconnect((_socket, reason) => void disconnects.push(reason))
      io.onMessage('join', async (socket, room: string) => {
        await socket.join(room)
        return 'joined'
      })
      io.onMessage('work', async (_socket, n: number) => {
        runs++
        await sleep(300)
        return n * 10
      })
    })
    proxy = await startProxy({ port: server.port })
    const socket = connect(`${proxy.url}/api/socket`, { transports: only })
    clients.push(socket)
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    const firstId = socket.id
    expect(await socket.emitWithAck('join', 'lobby')).toBe('joined')
    const news: number[] = []
    socket.on('news', (n: number) => news.push(n))

    const reply = socket.emitWithAck('work', 4, { timeout: 30_000 })
    await sleep(100)
    proxy.cut(2500) // the answer of 'work' is lost, and the client stays offline
    await sleep(1000)
    expect(await server.io.sweep()).toBe(1) // past disconnectTimeout: the client is taken for gone
    expect(disconnects).toEqual(['ping timeout'])
    expect(await server.io.in('lobby').fetchSockets()).toEqual([]) // it left its rooms
    await server.io.to('lobby').emit('news', 1) // sent while it was away

    expect(await reply).toBe(40)
    await until(() => socket.connected && news.length > 0, 'the client back with what it missed')
    expect(socket.id).toBe(firstId)
    expect(socket.recovered).toBe(true)
    expect(runs).toBe(1)
    expect(connects).toEqual([false, true]) // onConnect again, with socket.recovered
    expect((await server.io.in('lobby').fetchSockets()).map((s) => s.id)).toEqual([firstId])
    await server.io.to('lobby').emit('news', 2)
    await until(() => news.length === 2, 'a later room message')
    expect(news).toEqual([1, 2])
    expect(disconnects).toEqual(['ping timeout'])
  })
})
