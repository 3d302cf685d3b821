/**
 * POST {base}/_publish (issue 16, item 5): a service in any language emits with a Bearer key,
 * over real HTTP to real node:http servers; counted on real clients. Over Redis, the publish
 * reaches clients connected to another instance.
 */
import { describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { redisStore } from 'socket-serve/redis'
import { startServer, until, type TestServer } from '../support/server.js'
import { startRedis } from '../support/redis.js'
import { cleanupsAfterEach } from '../support/cleanups.js'

const KEY = 'publish-key-0123456789'
const cleanups = cleanupsAfterEach()

async function server(options: Parameters<typeof startServer>[0] = {}, setup?: Parameters<typeof startServer>[1]): Promise<TestServer> {
  const s = await startServer(options, setup)
  cleanups.push(() => s.close())
  return s
}

/** A connected client recording every `news` event it receives. */
async function client(url: string, room?: string): Promise<{ socket: ClientSocket; news: unknown[] }> {
  const socket = connect(url)
  cleanups.push(() => socket.disconnect())
  const news: unknown[] = []
  socket.on('news', (d) => news.push(d))
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  if (room) await socket.emitWithAck('join', room)
  return { socket, news }
}

const joinHandler = (s: TestServer['io']) => s.onMessage('join', async (socket, room: string) => void (await socket.join(room)))

function publish(url: string, body: unknown, key: string | null = KEY): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key !== null) headers.authorization = `Bearer ${key}`
  return fetch(`${url}/_publish`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

async function refusal(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code)
}

describe('POST {base}/_publish', () => {
  it('emits to a room, to one session and to everyone; each message arrives once', async () => {
    const s = await server({ publishKey: KEY }, joinHandler)
    const inRoom = await client(s.url, 'orders')
    const other = await client(s.url)

    expect((await publish(s.url, { room: 'orders', event: 'news', data: { n: 1 } })).status).toBe(200)
    expect((await publish(s.url, { to: other.socket.id, event: 'news', data: { n: 2 } })).status).toBe(200)
    expect((await publish(s.url, { event: 'news', data: { n: 3 } })).status).toBe(200)
    expect(await (await publish(s.url, { room: 'nobody-here', event: 'news' })).json()).toEqual({ ok: true })

    await until(() => inRoom.news.length === 2 && other.news.length === 2, 'published messages')
    expect(inRoom.news).toEqual([{ n: 1 }, { n: 3 }])
    expect(other.news).toEqual([{ n: 2 }, { n: 3 }])
  })

  it('is 404 without publishKey, 401 without or with a wrong key, and a refused call emits nothing', async () => {
    const off = await server()
    await refusal(await publish(off.url, { event: 'news' }), 404, 'NOT_FOUND')

    const s = await server({ publishKey: KEY })
    const c = await client(s.url)
    await refusal(await publish(s.url, { event: 'news', data: 'x' }, null), 401, 'UNAUTHORIZED')
    await refusal(await publish(s.url, { event: 'news', data: 'x' }, 'wrong'), 401, 'UNAUTHORIZED')
    await refusal(await publish(s.url, { event: 'news', data: 'x' }, `${KEY}x`), 401, 'UNAUTHORIZED')
    await refusal(await publish(s.url, { event: 'news', data: 'x' }, KEY.slice(1)), 401, 'UNAUTHORIZED')
    await refusal(await publish(s.url, '{not json'), 400, 'BAD_REQUEST')
    await refusal(await publish(s.url, { data: 'no event' }), 400, 'INVALID_NAME')
    await refusal(await publish(s.url, { event: 'error' }), 400, 'INVALID_NAME') // a client-reserved name
    await refusal(await publish(s.url, { room: 'a', to: 'b', event: 'news' }), 400, 'BAD_REQUEST')
    await refusal(await publish(s.url, { room: 'x'.repeat(300), event: 'news' }), 400, 'INVALID_NAME')
    await refusal(await publish(s.url, { to: 'no-such-session', event: 'news' }), 404, 'SESSION_NOT_FOUND')
    expect((await fetch(`${s.url}/_publish`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(405)

    // Only the accepted publish arrives.
    expect((await publish(s.url, { event: 'news', data: 'ok' })).status).toBe(200)
    await until(() => c.news.length > 0, 'the accepted message')
    await c.socket.emitWithAck('noop').catch(() => {}) // a round trip: anything refused would have arrived by now
    expect(c.news).toEqual(['ok'])
  })

  it('is rate limited: 429 with Retry-After past publishRateLimit', async () => {
    const s = await server({ publishKey: KEY, publishRateLimit: { requests: 3, interval: 60_000 } })
    const c = await client(s.url)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const res = await publish(s.url, { event: 'news', data: i })
      statuses.push(res.status)
      if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    // A window boundary may fall inside the loop: at least 3 accepted, and the rest refused.
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThanOrEqual(3)
    expect(statuses.filter((x) => x === 429).length).toBeGreaterThanOrEqual(1)
    const accepted = statuses.flatMap((x, i) => (x === 200 ? [i] : []))
    await until(() => c.news.length === accepted.length, 'accepted messages')
    expect(c.news).toEqual(accepted)
  })

  it('over Redis, a publish to one instance reaches clients of another', async () => {
    const redis = await startRedis()
    cleanups.push(() => redis.destroy())
    const a = await server({ publishKey: KEY, store: redisStore(redis.url) }, joinHandler)
    const b = await server({ publishKey: KEY, store: redisStore(redis.url) }, joinHandler)
    const onB = await client(b.url, 'orders')
    for (let i = 0; i < 20; i++) expect((await publish(a.url, { room: 'orders', event: 'news', data: i })).status).toBe(200)
    expect((await publish(a.url, { to: onB.socket.id, event: 'news', data: 'direct' })).status).toBe(200)
    await until(() => onB.news.length === 21, 'published messages on the other instance')
    expect(onB.news).toEqual([...Array.from({ length: 20 }, (_, i) => i), 'direct'])
  })
})
