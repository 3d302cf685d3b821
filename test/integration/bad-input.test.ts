import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type TestServer } from '../support/server.js'

/** Bad input gets the JSON error shape of DESIGN §5 and changes nothing. */
describe('bad input', () => {
  let server: TestServer
  let runs = 0
  let sid: string
  let token: string

  beforeAll(async () => {
    server = await startServer({ maxPayload: 10_000 }, (io) => io.onMessage('count', () => ++runs))
    const res = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ;({ sid, token } = (await res.json()) as { sid: string; token: string })
  })
  afterAll(() => server.close())

  const auth = () => ({ 'x-socket-sid': sid, 'x-socket-token': token })

  async function call(path: string, init: RequestInit): Promise<[number, { error?: { code: string; message: string } }]> {
    const res = await fetch(`${server.url}${path}`, init)
    const text = await res.text()
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    return [res.status, JSON.parse(text)]
  }

  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    call(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...auth(), ...headers } })

  it.each([
    ['malformed JSON', '/message', '{"messages": [', 400, 'BAD_REQUEST'],
    ['not an object', '/message', '[1,2,3]', 400, 'BAD_REQUEST'],
    ['no messages', '/message', '{"messages": []}', 400, 'BAD_REQUEST'],
    ['ids not increasing', '/message', '{"messages": [{"id": 2, "event": "count"}, {"id": 1, "event": "count"}]}', 400, 'BAD_REQUEST'],
    ['id not an integer', '/message', '{"messages": [{"id": "1", "event": "count"}]}', 400, 'BAD_REQUEST'],
    ['reserved event name', '/message', '{"messages": [{"id": 1, "event": "connect"}]}', 400, 'INVALID_NAME'],
    ['event name with control characters', '/message', '{"messages": [{"id": 1, "event": "a\\nb"}]}', 400, 'INVALID_NAME'],
    ['acks not a list', '/ack', '{"acks": 5}', 400, 'BAD_REQUEST'],
    ['connect body not an object', '/connect', '"hello"', 400, 'BAD_REQUEST'],
  ])('%s: %s → %i %s', async (_what, path, body, status, code) => {
    const [got, json] = await post(path, body)
    expect([got, json.error?.code]).toEqual([status, code])
    expect(typeof json.error?.message).toBe('string')
  })

  it('invalid UTF-8 → 400', async () => {
    const [status, json] = await post('/message', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))
    expect([status, json.error?.code]).toEqual([400, 'BAD_REQUEST'])
  })

  it('oversize body → 413, declared or streamed', async () => {
    const big = JSON.stringify({ messages: [{ id: 1, event: 'count', data: 'x'.repeat(20_000) }] })
    const [status, json] = await post('/message', big)
    expect([status, json.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
    // Chunked, without Content-Length: the limit holds while reading.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big))
        c.close()
      },
    })
    const [status2, json2] = await call('/message', {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json', ...auth() },
      duplex: 'half',
    } as RequestInit)
    expect([status2, json2.error?.code]).toEqual([413, 'PAYLOAD_TOO_LARGE'])
  })

  it('a huge streamed body is refused with 413 after the limit, not after buffering it all', async () => {
    const CHUNK = 64 * 1024
    const CHUNKS = 2_000 // 125 MiB, if the server read it all
    let pulled = 0
    let answered = false
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (answered || pulled === CHUNKS) return c.close()
        pulled++
        c.enqueue(new Uint8Array(CHUNK).fill(0x20))
      },
    })
    const res = await fetch(`${server.url}/message`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...auth() },
      duplex: 'half',
    } as RequestInit)
    answered = true
    const pulledWhenAnswered = pulled
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE')
    // The limit is 10,000 bytes: the answer came while the client was still sending.
    expect(pulledWhenAnswered).toBeLessThan(CHUNKS / 2)
  })

  it('wrong content type → 415', async () => {
    const [status, json] = await post('/message', '<xml/>', { 'content-type': 'application/xml' })
    expect([status, json.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE'])
  })

  it('unknown route → 404, wrong method → 405', async () => {
    expect((await post('/nope', '{}'))[1].error?.code).toBe('NOT_FOUND')
    expect((await post('/nope', '{}'))[0]).toBe(404)
    const [status, json] = await call('/message', { method: 'GET', headers: auth() })
    expect([status, json.error?.code]).toEqual([405, 'METHOD_NOT_ALLOWED'])
  })

  it('unknown session → 404, missing or wrong token → 401, on every session route', async () => {
    const msg = '{"messages": [{"id": 1, "event": "count"}]}'
    for (const path of ['/message', '/ack', '/disconnect']) {
      const body = path === '/ack' ? '{"acks": []}' : msg
      expect((await post(path, body, { 'x-socket-sid': 'A'.repeat(20) }))[1].error?.code).toBe('SESSION_NOT_FOUND')
      expect((await post(path, body, { 'x-socket-token': 'wrong' }))[1].error?.code).toBe('UNAUTHORIZED')
      const [status, json] = await call(path, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-socket-sid': sid } })
      expect([status, json.error?.code]).toEqual([401, 'UNAUTHORIZED'])
    }
    for (const path of ['/sse', '/poll']) {
      const [status, json] = await call(path, { headers: { 'x-socket-sid': sid, 'x-socket-token': 'wrong' } })
      expect([status, json.error?.code]).toEqual([401, 'UNAUTHORIZED'])
    }
  })

  it('changed nothing: no handler ran, the session is intact and still works', async () => {
    expect(runs).toBe(0)
    expect((await server.io.fetchSockets()).map((s) => s.id)).toEqual([sid])
    const res = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: '{"messages": [{"id": 1, "event": "count", "ack": true}]}',
    })
    expect(await res.json()).toEqual({ acks: [{ id: 1, data: 1 }] })
  })

  it('a cross-origin request from an origin not allowed → 403', async () => {
    const [status, json] = await call('/connect', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
    })
    expect([status, json.error?.code]).toEqual([403, 'FORBIDDEN'])
    expect((await server.io.fetchSockets()).length).toBe(1)
  })
})
