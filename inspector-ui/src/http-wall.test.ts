import { describe, expect, it } from 'vitest'
import { httpWall, inspectorUrl, parseFeedData, routeOf } from './http-wall.js'
import { InspectorError, type FeedEvent, type FeedStatus } from './types.js'

interface Call {
  url: string
  init: RequestInit | undefined
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A stream we push text into, as a server's SSE response body. */
function sseBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
  const enc = new TextEncoder()
  return {
    response: new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    push: (text: string) => controller.enqueue(enc.encode(text)),
    end: () => controller.close(),
  }
}

const until = async (check: () => boolean, ms = 2000) => {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('routes', () => {
  it('maps requests onto INSPECTOR.md routes under {endpoint}/_inspector/', () => {
    expect(inspectorUrl('/api/socket/', 'snapshot')).toBe('/api/socket/_inspector/snapshot')
    expect(routeOf({ type: 'snapshot' })).toEqual({ method: 'GET', route: 'snapshot' })
    expect(routeOf({ type: 'snapshot', limit: 5 })).toEqual({ method: 'GET', route: 'snapshot?limit=5' })
    expect(routeOf({ type: 'session', id: 'a/b c' })).toEqual({ method: 'GET', route: 'sessions/a%2Fb%20c' })
    expect(routeOf({ type: 'sessions' })).toEqual({ method: 'GET', route: 'sessions' })
    expect(routeOf({ type: 'sessions', limit: 100, cursor: 200, q: 'alice & bob', sort: 'recent' }).route).toBe(
      'sessions?limit=100&cursor=200&q=alice+%26+bob&sort=recent',
    )
    expect(routeOf({ type: 'metrics' })).toEqual({ method: 'GET', route: 'metrics' })
    expect(routeOf({ type: 'emit', to: { room: 'lobby' }, event: 'news', data: 1 })).toEqual({
      method: 'POST',
      route: 'emit',
      body: { to: { room: 'lobby' }, event: 'news', data: 1 },
    })
    expect(routeOf({ type: 'disconnect', sid: 'x' })).toEqual({ method: 'POST', route: 'disconnect', body: { sid: 'x' } })
  })

  it('drops malformed feed lines', () => {
    expect(parseFeedData('{"type":"connect","sid":"a","at":5}')).toEqual({ type: 'connect', sid: 'a', at: 5 })
    expect(parseFeedData('nope')).toBeUndefined()
    expect(parseFeedData('{"sid":"a"}')).toBeUndefined()
  })
})

describe('httpWall.send', () => {
  it('sends the bearer token and JSON bodies', async () => {
    const calls: Call[] = []
    const wall = httpWall({
      endpoint: 'http://h/api/socket',
      token: 't0k',
      fetch: async (url, init) => {
        calls.push({ url: String(url), init })
        return json(200, { ok: true })
      },
    })
    await expect(wall.send({ type: 'emit', to: { all: true }, event: 'news', data: { a: 1 } })).resolves.toEqual({ ok: true })
    expect(calls[0]!.url).toBe('http://h/api/socket/_inspector/emit')
    expect(calls[0]!.init!.method).toBe('POST')
    expect((calls[0]!.init!.headers as Record<string, string>).authorization).toBe('Bearer t0k')
    expect(JSON.parse(String(calls[0]!.init!.body))).toEqual({ to: { all: true }, event: 'news', data: { a: 1 } })
  })

  it('rejects with the error shape’s code, or one derived from the status', async () => {
    const wall = (res: () => Response) => httpWall({ endpoint: '/x', token: 't', fetch: async () => res() })
    const e1 = await wall(() => json(403, { error: { code: 'FORBIDDEN', message: 'read-only' } }))
      .send({ type: 'disconnect', sid: 's' })
      .catch((e) => e)
    expect(e1).toBeInstanceOf(InspectorError)
    expect([e1.code, e1.message, e1.status]).toEqual(['FORBIDDEN', 'read-only', 403])
    const e2 = await wall(() => new Response('<html>', { status: 401 })).send({ type: 'snapshot' }).catch((e) => e)
    expect([e2.code, e2.status]).toEqual(['UNAUTHORIZED', 401])
    const e3 = await httpWall({ endpoint: '/x', token: 't', fetch: async () => Promise.reject(new TypeError('refused')) })
      .send({ type: 'metrics' })
      .catch((e) => e)
    expect(e3.code).toBe('NETWORK_ERROR')
  })
})

describe('httpWall.listen', () => {
  it('parses the SSE feed, shares one stream, reconnects after an error and stops when unsubscribed', async () => {
    const streams: ReturnType<typeof sseBody>[] = []
    const calls: Call[] = []
    let fail = false
    const wall = httpWall({
      endpoint: '/api/socket',
      token: 'tok',
      retryDelay: 10,
      fetch: async (url, init) => {
        calls.push({ url: String(url), init })
        if (fail) {
          fail = false
          return json(503, { error: { code: 'STORE_UNAVAILABLE', message: 'down' } })
        }
        const s = sseBody()
        streams.push(s)
        return s.response
      },
    })
    const a: FeedEvent[] = []
    const b: FeedEvent[] = []
    const statuses: FeedStatus[] = []
    const offA = wall.listen((e) => a.push(e), (s) => statuses.push(s))
    const offB = wall.listen((e) => b.push(e))
    await until(() => streams.length === 1)
    expect(calls[0]!.url).toBe('/api/socket/_inspector/events')
    expect((calls[0]!.init!.headers as Record<string, string>).authorization).toBe('Bearer tok')

    streams[0]!.push(': hi\n\ndata: {"type":"connect","sid":"s1","at":1}\n\ndata: {"type":"jo')
    streams[0]!.push('in","sid":"s1","room":"lobby","at":2}\n\ndata: garbage\n\n')
    await until(() => a.length === 2)
    expect(a.map((e) => e.type)).toEqual(['connect', 'join'])
    expect(b).toEqual(a)
    expect(statuses).toContain('open')

    // The stream breaks, the next attempt fails, the one after succeeds.
    fail = true
    streams[0]!.end()
    await until(() => streams.length === 2)
    expect(calls.length).toBe(3)
    expect(statuses).toContain('reconnecting')
    streams[1]!.push('data: {"type":"ack","sid":"s1","latency":3.1,"direction":"client","at":3}\n\n')
    await until(() => a.length === 3)

    offB()
    offA()
    // Unsubscribed listeners hear nothing more, and no stream is reopened.
    const heard = statuses.length
    const seen = calls.length
    await new Promise((r) => setTimeout(r, 50))
    expect(calls.length).toBe(seen)
    expect(statuses.length).toBe(heard)
  })
})

describe('networkHint', () => {
  it('names the fix for a cross-origin page instead of "Failed to fetch"', async () => {
    const { networkHint } = await import('./http-wall.js')
    const text = networkHint('http://api.example/api/socket', new TypeError('Failed to fetch'), 'http://admin.example')
    expect(text).toContain("allowedOrigins: ['http://admin.example']")
    expect(text).toContain('http://api.example/api/socket/_inspector/')
    expect(networkHint('/api/socket', new TypeError('Failed to fetch'), 'http://admin.example')).toMatch(/Is the server running/)
  })
})
