/**
 * Presence (issue 16, item 4): io.in(room).presence() and the presence:join / presence:leave
 * events, across two instances on a real Redis, and after a vanished client is swept. Every
 * presence event is counted: each join and leave arrives once.
 */
import { describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import type { PresenceEvent, ServeOptions } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { startServer, until, sleep, type TestServer } from '../support/server.js'
import { startRedis } from '../support/redis.js'
import { rawConnect, sessionHeaders } from '../support/raw-http.js'
import { cleanupsAfterEach } from '../support/cleanups.js'

const cleanups = cleanupsAfterEach()

async function instance(options: ServeOptions): Promise<TestServer> {
  const s = await startServer({ presence: true, auth: (_req, payload) => ({ name: (payload as { name: string }).name }), ...options }, (io) => {
    io.onMessage('join', async (socket, room: string) => void (await socket.join(room)))
    io.onMessage('leave', async (socket, room: string) => void (await socket.leave(room)))
  })
  cleanups.push(() => s.close())
  return s
}

/** A connected client (named in its auth payload) recording presence events. */
async function member(url: string, name: string, room: string) {
  const socket: ClientSocket = connect(url, { auth: { name } })
  cleanups.push(() => socket.disconnect())
  const seen: string[] = []
  const log = (action: string) => (e: PresenceEvent) => seen.push(`${action} ${(e.member.user as { name: string }).name} ${e.room}`)
  socket.on('presence:join', log('join'))
  socket.on('presence:leave', log('leave'))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  await socket.emitWithAck('join', room)
  return { socket, seen }
}

const names = async (s: TestServer, room: string) =>
  (await s.io.in(room).presence()).map((m) => (m.user as { name: string }).name).sort()

describe('presence', () => {
  it('lists members and announces joins and leaves across instances; a swept client leaves', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.destroy())
    const opts = { disconnectTimeout: 1000, pingInterval: 250 }
    const a = await instance({ ...opts, store: redisStore(redis.url) })
    const b = await instance({ ...opts, store: redisStore(redis.url) })

    const watcher = await member(b.url, 'watcher', 'lobby')
    const ann = await member(a.url, 'ann', 'lobby')
    const bob = await member(b.url, 'bob', 'lobby')
    await member(a.url, 'other', 'elsewhere')
    await until(() => watcher.seen.length >= 3, 'three joins')
    expect(watcher.seen).toEqual(['join watcher lobby', 'join ann lobby', 'join bob lobby'])
    expect(await names(a, 'lobby')).toEqual(['ann', 'bob', 'watcher'])
    expect(await names(b, 'lobby')).toEqual(['ann', 'bob', 'watcher'])
    const [first] = await a.io.in('lobby').presence()
    expect(Object.keys(first!).sort()).toEqual(['id', 'state', 'user'])

    // Joining a room twice announces once; leaving announces once.
    await ann.socket.emitWithAck('join', 'lobby')
    await ann.socket.emitWithAck('leave', 'lobby')
    ann.socket.disconnect() // no longer a member: its ending announces nothing in lobby
    bob.socket.disconnect()
    await until(() => watcher.seen.length === 5, 'two leaves')

    // A client that vanishes (a session with no stream and no requests) leaves when swept.
    const ghost = await rawConnect(a.url, { auth: { name: 'ghost' } })
    const posted = await fetch(`${a.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sessionHeaders(ghost) },
      body: JSON.stringify({ messages: [{ id: 1, event: 'join', data: 'lobby', ack: true }] }),
    })
    expect(posted.status).toBe(200)
    await until(() => watcher.seen.length === 6, 'the ghost joins')
    expect(await names(b, 'lobby')).toEqual(['ghost', 'watcher'])
    await sleep(1200) // past disconnectTimeout
    await b.io.sweep()
    await until(() => watcher.seen.length === 7, 'the ghost leaves')
    expect(watcher.seen.slice(3)).toEqual(['leave ann lobby', 'leave bob lobby', 'join ghost lobby', 'leave ghost lobby'])
    expect(await names(a, 'lobby')).toEqual(['watcher'])
    await sleep(300) // nothing more arrives
    expect(watcher.seen.length).toBe(7)
  })

  it('is off by default: no presence events, presence() still lists members', async () => {
    const s = await instance({ presence: false })
    const one = await member(s.url, 'one', 'room')
    await member(s.url, 'two', 'room')
    expect(await names(s, 'room')).toEqual(['one', 'two'])
    await one.socket.emitWithAck('join', 'room') // a round trip after both joins
    expect(one.seen).toEqual([])
  })
})
