import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { memoryStore, type IO, type Socket, type Store } from 'socket-serve'
import { redisStore } from 'socket-serve/redis'
import { sleep, startServer, until, type TestServer } from '../support/server.js'
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js'
import { expectRefusal, rawConnect, readRefusal, sessionHeaders, type RawSession } from '../support/raw-http.js'

const json = { 'content-type': 'application/json' }

/** DESIGN §5: maxPayload → 413, rateLimit → 429 + Retry-After, event and room names validated. */
describe('maxPayload', () => {
  const MAX = 10_000
  let server: TestServer
  const ran: unknown[] = []
  let s: RawSession
  let nextId = 1

  beforeAll(async () => {
    server = await startServer({ maxPayload: MAX }, (io) => io.onMessage('count', (_s, d) => void ran.push(d)))
    s = await rawConnect(server.url)
  })
  afterAll(() => server?.close())

  /** A /message body of exactly `bytes` UTF-8 bytes (the padding made of `unit`). */
  function bodyOf(bytes: number, unit = 'x', id = nextId): string {
    const shell = (pad: string) => JSON.stringify({ messages: [{ id, event: 'count', data: pad }] })
    const unitBytes = Buffer.byteLength(unit)
    const pad = unit.repeat(Math.floor((bytes - Buffer.byteLength(shell(''))) / unitBytes))
    let body = shell(pad)
    body = body.replace('"}]}', `${'y'.repeat(bytes - Buffer.byteLength(body))}"}]}`)
    expect(Buffer.byteLength(body)).toBe(bytes)
    return body
  }

  const post = (body: BodyInit, route = 'message', extra: RequestInit = {}) =>
    fetch(`${server.url}/${route}`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body, ...extra } as RequestInit)

  function chunked(text: string, pieces: number): ReadableStream<Uint8Array> {
    const bytes = new TextEncoder().encode(text)
    const size = Math.ceil(bytes.length / pieces)
    let at = 0
    return new ReadableStream({
      pull(c) {
        if (at >= bytes.length) return c.close()
        c.enqueue(bytes.slice(at, at + size))
        at += size
      },
    })
  }

  it('a body of exactly maxPayload bytes is accepted', async () => {
    const res = await post(bodyOf(MAX))
    expect(res.status).toBe(200)
    expect(ran).toHaveLength(1)
    nextId++
  })

  it('one byte over → 413 PAYLOAD_TOO_LARGE, declared or chunked, and nothing ran', async () => {
    const over = bodyOf(MAX + 1)
    await expectRefusal(await post(over), 413, 'PAYLOAD_TOO_LARGE')
    // Chunked, no Content-Length: the limit holds while reading (one chunk, and many small ones).
    for (const pieces of [1, 7, 200]) {
      await expectRefusal(await post(chunked(over, pieces), 'message', { duplex: 'half' } as RequestInit), 413, 'PAYLOAD_TOO_LARGE')
    }
    // Far over, chunked: refused without reading it all.
    await expectRefusal(await post(chunked(bodyOf(MAX * 50), 500), 'message', { duplex: 'half' } as RequestInit), 413, 'PAYLOAD_TOO_LARGE')
    // Bytes, not characters: 2-byte characters that fit as a character count but not in bytes.
    const wide = bodyOf(MAX + 2, 'é')
    expect(wide.length).toBeLessThan(MAX)
    await expectRefusal(await post(wide), 413, 'PAYLOAD_TOO_LARGE')
    expect(ran).toHaveLength(1)
  })

  it('413 on connect and ack too; the refused message id is not used up', async () => {
    const big = JSON.stringify({ auth: { pad: 'x'.repeat(MAX) } })
    const before = (await server.io.fetchSockets()).length
    await expectRefusal(await fetch(`${server.url}/connect`, { method: 'POST', headers: json, body: big }), 413, 'PAYLOAD_TOO_LARGE')
    expect((await server.io.fetchSockets()).length).toBe(before)
    await expectRefusal(await post(JSON.stringify({ acks: [{ id: 'x.1', data: 'x'.repeat(MAX) }] }), 'ack'), 413, 'PAYLOAD_TOO_LARGE')
    // The id refused with 413 runs when sent again at a size that fits.
    const res = await post(JSON.stringify({ messages: [{ id: nextId, event: 'count', data: 'small', ack: true }] }))
    expect(await res.json()).toEqual({ acks: [{ id: nextId }] })
    expect(ran.at(-1)).toBe('small')
  })

  it('the client SDK: an emit over maxPayload fails with PAYLOAD_TOO_LARGE, later emits still go through', async () => {
    const socket = connect(server.url)
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve())
        socket.once('connect_error', reject)
      })
      const before = ran.length
      await expect(socket.emitWithAck('count', 'x'.repeat(MAX * 2))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 })
      expect(await socket.emitWithAck('count', 'after')).toBeUndefined()
      expect(ran.slice(before)).toEqual(['after'])
    } finally {
      socket.disconnect()
    }
  })
})

describe('rateLimit { messages: 10, interval: 1000 }', () => {
  let server: TestServer
  const ran: unknown[] = []
  const clients: ClientSocket[] = []

  beforeAll(async () => {
    server = await startServer({ rateLimit: { messages: 10, interval: 1000 } }, (io) =>
      io.onMessage('n', (_s, d) => {
        ran.push(d)
        return d
      }),
    )
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect()
  })
  afterAll(() => server?.close())

  it('counts messages, not batches: one POST of 30 runs at most the limit, defers the rest with Retry-After, and a full window refuses with 429 changing nothing', async () => {
    const s = await rawConnect(server.url)
    const send = (batch: { id: number; event: string; data: string; ack: boolean }[]) =>
      fetch(`${server.url}/message`, { method: 'POST', headers: { ...json, ...sessionHeaders(s) }, body: JSON.stringify({ messages: batch }) })
    const all = Array.from({ length: 30 }, (_, i) => ({ id: i + 1, event: 'n', data: `burst-${i + 1}`, ack: true }))
    const mine = () => ran.filter((d) => typeof d === 'string' && d.startsWith('burst-'))
    let rest = all
    let posts = 0
    let refusals = 0
    while (rest.length > 0 && posts < 20) {
      const before = mine().length
      const res = await send(rest)
      posts++
      if (res.status === 429) {
        const { headers } = await expectRefusal(res, 429, 'RATE_LIMITED')
        expect(headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
        expect(mine().length).toBe(before) // a refusal runs nothing
        refusals++
        await sleep(Number(headers.get('retry-after')) * 1000)
        continue
      }
      expect(res.status).toBe(200)
      const body = (await res.json()) as { acks: { id: number; data: string }[]; deferred?: { from: number; retryAfter: number } }
      const ranNow = mine().length - before
      expect(ranNow).toBeLessThanOrEqual(10)
      expect(body.acks).toEqual(rest.slice(0, ranNow).map((m) => ({ id: m.id, data: m.data })))
      if (body.deferred) {
        expect(body.deferred.from).toBe(rest[ranNow]!.id)
        expect(body.deferred.retryAfter).toBeGreaterThanOrEqual(1)
        rest = rest.slice(ranNow)
        // Straight away: the window is full, so the rest is refused whole.
        const again = await send(rest)
        posts++
        if (again.status === 429) {
          await expectRefusal(again, 429, 'RATE_LIMITED')
          refusals++
          expect(mine().length).toBe(before + ranNow)
          await sleep(body.deferred.retryAfter * 1000)
        } else {
          // the window turned over in between: this POST was admitted like the first one
          const b2 = (await again.json()) as { acks: { id: number }[] }
          rest = rest.slice(b2.acks.length)
        }
      } else {
        rest = []
      }
    }
    expect(rest).toEqual([])
    expect(mine()).toEqual(all.map((m) => m.data)) // every message once, in order
    expect(posts).toBeGreaterThanOrEqual(3)
    expect(refusals).toBeGreaterThanOrEqual(1)
  })

  it('the client SDK emitting 60 messages quickly: all run exactly once, in order, every ack resolves', async () => {
    const statuses: number[] = []
    let deferrals = 0
    const socket = connect(server.url, {
      fetch: async (input, init) => {
        const res = await fetch(input, init)
        if (String(input).endsWith('/message')) {
          statuses.push(res.status)
          if (res.status === 200 && ((await res.clone().json()) as { deferred?: unknown }).deferred) deferrals++
        }
        return res
      },
    })
    clients.push(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
    const before = ran.length
    const acks: Promise<unknown>[] = []
    for (let i = 0; i < 60; i++) {
      acks.push(socket.emitWithAck('n', i, { timeout: 60_000 }))
      await sleep(2) // spread over many POSTs, so the limit is hit mid-stream
    }
    expect(await Promise.all(acks)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(ran.slice(before)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    // The limit was really in the way (and the client waited it out): a POST had messages deferred
    // to the next window, or was refused whole (429), depending on how the emits fell into POSTs.
    expect(deferrals + statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
  })
})

// --- names --------------------------------------------------------------------------------------

const HOSTILE_ROOMS: unknown[] = ['{a}', 'a b', 'x'.repeat(200), '\u0000', '', 'a\nb', 'a}', '{', '*', 'r:{x}', ' ', '__proto__', '\ud800', 42, null, undefined, {}]
const HOSTILE_EVENTS: unknown[] = ['{a}', 'x'.repeat(200), '\u0000', '', 'a\nb', '\ud800', 'connect', 'disconnect', 'connect_error', 42, null, undefined]

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn()
    return 'ok'
  } catch (e) {
    return String((e as { code?: string }).code ?? (e as Error).message)
  }
}

let redis: RedisServer | undefined
beforeAll(async () => {
  redis = await startRedis()
}, 30_000)
afterAll(async () => {
  await redis?.stop()
})

const nameStores: { name: string; make(): Store }[] = [
  { name: 'memory', make: () => memoryStore() },
  { name: 'redis', make: () => redisStore(redis!.url, { prefix: `names${process.pid}` }) },
]

describe.each(nameStores)('event and room names, $name store', ({ name, make }) => {
  let server: TestServer
  let store: Store
  const ran: unknown[] = []
  let socket: ClientSocket

  beforeAll(async () => {
    store = make()
    server = await startServer({ store }, (io) => {
      io.onMessage('join', async (s, room: string) => {
        await s.join(room)
        return [...s.rooms]
      })
      io.onMessage('count', (_s, d) => void ran.push(d))
    })
    socket = connect(server.url)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    })
  })
  afterAll(async () => {
    socket?.disconnect()
    await server?.close()
    await store?.close()
  })

  const serverSocket = async (): Promise<Socket> => (await server.io.fetchSocket(socket.id!))!

  it('server-side join / leave / to / emit with hostile room names throw INVALID_NAME and change nothing', async () => {
    const io: IO = server.io
    const s = await serverSocket()
    const results: Record<string, string[]> = {}
    for (const room of HOSTILE_ROOMS) {
      results[JSON.stringify(room) ?? 'undefined'] = [
        await codeOf(() => s.join(room as string)),
        await codeOf(() => s.join(['ok-room', room as string])),
        await codeOf(() => s.leave(room as string)),
        await codeOf(() => s.to(room as string).emit('ev', 1)),
        await codeOf(() => io.to(room as string).emit('ev', 1)),
        await codeOf(() => io.in(room as string).fetchSockets()),
      ]
    }
    for (const [room, codes] of Object.entries(results)) expect([room, codes]).toEqual([room, Array(6).fill('INVALID_NAME')])
    // join(['ok-room', bad]) may have joined ok-room before refusing the bad one; nothing else.
    const rooms = [...(await serverSocket()).rooms].filter((r) => r !== 'ok-room')
    expect(rooms).toEqual([])
    if (name === 'redis') {
      const keys = (await redisCommand(redis!.port, 'KEYS', '*')) as string[]
      for (const room of HOSTILE_ROOMS) {
        if (typeof room !== 'string' || room === '') continue
        // A room's keys carry its name as the hash tag `{r:<room>}`: none may exist for a refused name.
        expect(keys.filter((k) => k.includes(`{r:${room}}`))).toEqual([])
      }
    }
  })

  it('server-side emits with hostile event names throw INVALID_NAME', async () => {
    const io: IO = server.io
    const s = await serverSocket()
    for (const ev of HOSTILE_EVENTS) {
      const codes = [
        await codeOf(() => s.emit(ev as string, 1)),
        await codeOf(() => s.emitWithAck(ev as string, 1, { timeout: 100 })),
        await codeOf(() => s.broadcast(ev as string, 1)),
        await codeOf(() => io.emit(ev as string, 1)),
        await codeOf(() => io.to('ok-room').emit(ev as string, 1)),
        await codeOf(() => io.onMessage(ev as string, () => {})),
      ]
      expect([ev, codes]).toEqual([ev, Array(6).fill('INVALID_NAME')])
    }
  })

  it("the client's own event names (error, gap, state) cannot be emitted to clients, which would drop them; handlers may still listen for them", async () => {
    const io: IO = server.io
    const s = await serverSocket()
    for (const ev of ['error', 'gap', 'state']) {
      const codes = [
        await codeOf(() => s.emit(ev, 1)),
        await codeOf(() => s.emitWithAck(ev, 1, { timeout: 100 })),
        await codeOf(() => s.broadcast(ev, 1)),
        await codeOf(() => s.to('ok-room').emit(ev, 1)),
        await codeOf(() => io.emit(ev, 1)),
        await codeOf(() => io.to('ok-room').emit(ev, 1)),
      ]
      expect([ev, codes]).toEqual([ev, Array(6).fill('INVALID_NAME')])
      expect(() => io.onMessage(ev, () => {})).not.toThrow()
    }
  })

  it('hostile event names in client messages: 400 INVALID_NAME on the wire, nothing of the batch ran; the SDK refuses them at emit', async () => {
    const raw = await rawConnect(server.url)
    for (const ev of HOSTILE_EVENTS) {
      if (ev === undefined) continue
      const res = await fetch(`${server.url}/message`, {
        method: 'POST',
        headers: { ...json, ...sessionHeaders(raw) },
        body: JSON.stringify({ messages: [{ id: 1, event: 'count', data: 'first of the batch' }, { id: 2, event: ev }] }),
      })
      const { body } = await readRefusal(res)
      expect([ev, res.status, body.error.code]).toEqual([ev, 400, 'INVALID_NAME'])
    }
    expect(ran).toEqual([])
    for (const ev of HOSTILE_EVENTS) expect([ev, await codeOf(() => socket.emit(ev as string, 1))]).toEqual([ev, 'INVALID_NAME'])
  })

  it('hostile room names sent by a client to a join handler come back as INVALID_NAME acks', async () => {
    for (const room of HOSTILE_ROOMS) {
      if (room === undefined) continue
      await expect(socket.emitWithAck('join', room)).rejects.toMatchObject({ code: 'INVALID_NAME' })
    }
    expect([...(await serverSocket()).rooms].filter((r) => r !== 'ok-room')).toEqual([])
  })

  it('odd but valid room names (constructor, toString, a:b) are ordinary rooms', async () => {
    const odd = ['constructor', 'toString', 'hasOwnProperty', 'a:b', 'd', 'r:x']
    const got: [string, unknown][] = []
    socket.on('odd', (d: [string, number]) => void got.push(d))
    for (const room of odd) await socket.emitWithAck('join', room)
    for (const room of odd) await server.io.to(room).emit('odd', [room, 1])
    await until(() => got.length >= odd.length, `one message per odd room (got ${JSON.stringify(got)})`, 5000).catch(() => {})
    await sleep(100)
    expect.soft(got.sort()).toEqual(odd.map((r) => [r, 1]).sort())
    expect.soft([...(await serverSocket()).rooms].sort()).toEqual([...odd, 'ok-room'].sort())
    for (const room of odd) expect.soft([room, (await server.io.in(room).fetchSockets()).map((x) => x.id)]).toEqual([room, [socket.id]])
    // A stream opened after the join (a reconnect) reads the rooms from the stored session:
    // room messages still arrive, and a disconnect leaves every room.
    const raw = await rawConnect(server.url)
    const joined = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { ...json, ...sessionHeaders(raw) },
      body: JSON.stringify({ messages: odd.map((room, i) => ({ id: i + 1, event: 'join', data: room })) }),
    })
    expect(joined.status).toBe(200)
    for (const room of odd) await server.io.to(room).emit('odd', [room, 2])
    const poll = await (await fetch(`${server.url}/poll?wait=0`, { headers: sessionHeaders(raw) })).text()
    for (const room of odd) expect.soft(poll, `a new stream reads room ${room}`).toContain(JSON.stringify([room, 2]))
    await fetch(`${server.url}/disconnect`, { method: 'POST', headers: { ...json, ...sessionHeaders(raw) }, body: '{}' })
    for (const room of odd) {
      const members = (await server.io.in(room).fetchSockets()).map((x) => x.id)
      expect.soft(members.includes(raw.sid), `${raw.sid} left ${room} at disconnect`).toBe(false)
    }
  })
})
