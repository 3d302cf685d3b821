// Runtime matrix smoke test: the same example app (test/apps/smoke/app.mjs, built handler) served
// by each runtime's real binary — Node (node:http + io.middleware()), Bun (Bun.serve + io.fetch),
// Deno (Deno.serve + io.fetch) — and driven from Node by the client SDK over each transport.
// Every message is counted: nothing missing, nothing extra, nothing delivered twice.
import { connect } from '@socket-serve/client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { RUNTIMES, startApp, type RunningApp } from '../support/runtimes.js'

const TRANSPORTS = ['sse', 'polling'] as const
type Transport = (typeof TRANSPORTS)[number]

type Socket = ReturnType<typeof connect>

interface Recorder {
  name: string
  socket: Socket
  connects: number
  disconnects: string[]
  errors: unknown[]
  welcome: unknown[]
  shout: unknown[]
  everyone: unknown[]
  left: unknown[]
}

const open: Socket[] = []

function client(name: string, url: string, transport: Transport): Recorder {
  const socket = connect(url, { transports: [transport] })
  open.push(socket)
  const r: Recorder = { name, socket, connects: 0, disconnects: [], errors: [], welcome: [], shout: [], everyone: [], left: [] }
  socket.on('connect', () => r.connects++)
  socket.on('disconnect', (reason: string) => r.disconnects.push(reason))
  socket.on('connect_error', (err: unknown) => r.errors.push(err))
  socket.on('welcome', (d: unknown) => r.welcome.push(d))
  socket.on('shout', (d: unknown) => r.shout.push(d))
  socket.on('everyone', (d: unknown) => r.everyone.push(d))
  socket.on('left', (d: unknown) => r.left.push(d))
  return r
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function summary(rs: Recorder[]): string {
  return rs
    .map(({ name, socket, connects, disconnects, errors, welcome, shout, everyone, left }) =>
      `${name}: ${JSON.stringify({ id: socket.id, connected: socket.connected, connects, disconnects, errors: errors.map(String), welcome, shout, everyone, left })}`,
    )
    .join('\n')
}

describe.each(RUNTIMES)('runtime %s', (runtime) => {
  let app: RunningApp

  beforeAll(async () => {
    app = await startApp(runtime, `test/apps/smoke/${runtime}.mjs`)
  })
  afterEach(() => {
    for (const s of open.splice(0)) if (s.connected) s.disconnect()
  })
  afterAll(async () => {
    await app?.stop()
  })

  it.each(TRANSPORTS)('%s: welcome, ack, room, broadcast, disconnect', async (transport) => {
    const base = `${app.url}/socket`
    const room = `room-${transport}`
    const a = client('A', base, transport)
    const b = client('B', base, transport)
    const c = client('C', base, transport) // never joins the room
    const all = [a, b, c]

    /** Polls until `cond` holds; fails with every client's record and the server's stderr. */
    const waitFor = async (what: string, cond: () => boolean, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs
      while (!cond()) {
        if (Date.now() > deadline) {
          throw new Error(
            `[${runtime}/${transport}] timed out waiting for ${what}\n${summary(all)}\n--- server stderr ---\n${app.stderr().slice(-3000)}`,
          )
        }
        await sleep(10)
      }
    }

    // connect + welcome (emitted by onConnect, before the stream opened: it must still arrive)
    await waitFor('connect (no connect_error)', () => all.every((r) => r.connects === 1) || all.some((r) => r.errors.length > 0))
    expect(summary(all)).not.toMatch(/"errors":\["/)
    for (const r of all) {
      expect(r.socket.connected).toBe(true)
      expect(typeof r.socket.id).toBe('string')
      expect(r.socket.transport).toBe(transport)
    }
    expect(new Set(all.map((r) => r.socket.id)).size).toBe(3)
    await waitFor('welcome', () => all.every((r) => r.welcome.length >= 1))
    for (const r of all) expect(r.welcome).toEqual([{ id: r.socket.id }])

    // ack = the handler's return value; emits in the same tick keep their order and own acks
    const payload = { n: 1, text: 'héllo ✓', nested: { list: [1, 2, 3] }, nothing: null }
    expect(await a.socket.emitWithAck('echo', payload)).toEqual(payload)
    expect(await Promise.all([b.socket.emitWithAck('echo', 1), b.socket.emitWithAck('echo', 'two'), b.socket.emitWithAck('echo', { three: 3 })])).toEqual([1, 'two', { three: 3 }])

    // rooms: socket.to(room).emit reaches the other members, not the sender, not non-members
    expect(await a.socket.emitWithAck('join', { room })).toBe('joined')
    expect(await b.socket.emitWithAck('join', { room })).toBe('joined')
    expect(await a.socket.emitWithAck('shout', { room, from: 'a' })).toBe('ok')
    await waitFor("B gets A's shout", () => b.shout.length >= 1)
    // B's shout travels the same room log after A's: once A has it, A would have had its own too.
    expect(await b.socket.emitWithAck('shout', { room, from: 'b' })).toBe('ok')
    await waitFor("A gets B's shout", () => a.shout.length >= 1)

    // broadcast: everyone but the sender
    expect(await a.socket.emitWithAck('everyone', { from: 'a' })).toBe('ok')
    await waitFor("B and C get A's broadcast", () => b.everyone.length >= 1 && c.everyone.length >= 1)
    expect(await b.socket.emitWithAck('everyone', { from: 'b' })).toBe('ok')
    await waitFor("A and C get B's broadcast", () => a.everyone.length >= 1 && c.everyone.length >= 2)

    await sleep(200) // let any stray duplicate arrive before counting
    expect(a.shout).toEqual([{ room, from: 'b' }])
    expect(b.shout).toEqual([{ room, from: 'a' }])
    expect(c.shout).toEqual([])
    expect(a.everyone).toEqual([{ from: 'b' }])
    expect(b.everyone).toEqual([{ from: 'a' }])
    expect(c.everyone).toEqual([{ from: 'a' }, { from: 'b' }])

    // disconnect: client side at once, server side runs onDisconnect (which emits 'left' to all)
    const aId = a.socket.id
    a.socket.disconnect()
    expect(a.socket.connected).toBe(false)
    await waitFor('A disconnect event', () => a.disconnects.length >= 1)
    expect(a.disconnects).toEqual(['io client disconnect'])
    await waitFor("B and C see A's onDisconnect", () => b.left.length >= 1 && c.left.length >= 1)
    expect(b.left).toEqual([{ id: aId }])
    expect(c.left).toEqual([{ id: aId }])

    // A no longer receives anything
    expect(await b.socket.emitWithAck('everyone', { from: 'b2' })).toBe('ok')
    await waitFor("C gets B's second broadcast", () => c.everyone.length >= 3)

    const bId = b.socket.id
    b.socket.disconnect()
    await waitFor("C sees B's onDisconnect", () => c.left.length >= 2)
    c.socket.disconnect()
    await waitFor('B and C disconnect events', () => b.disconnects.length >= 1 && c.disconnects.length >= 1)

    await sleep(300)
    // exact totals: one connect each, no reconnects, nothing duplicated, nothing after disconnect
    for (const r of all) {
      expect(r.connects, r.name).toBe(1)
      expect(r.disconnects, r.name).toEqual(['io client disconnect'])
      expect(r.errors, r.name).toEqual([])
      expect(r.welcome, r.name).toHaveLength(1)
      expect(r.socket.connected, r.name).toBe(false)
    }
    expect(a.everyone).toEqual([{ from: 'b' }])
    expect(a.left).toEqual([])
    expect(b.everyone).toEqual([{ from: 'a' }])
    expect(b.left).toEqual([{ id: aId }])
    expect(c.everyone).toEqual([{ from: 'a' }, { from: 'b' }, { from: 'b2' }])
    expect(c.left).toEqual([{ id: aId }, { id: bId }])
    expect(a.shout).toHaveLength(1)
    expect(b.shout).toHaveLength(1)
    expect(c.shout).toHaveLength(0)
    expect(app.running).toBe(true)
  })
})
