import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { startServer, type TestServer } from '../support/server.js'

const TOKEN = 'inspector-guard-secret'
const APP = 'https://admin.example'

/**
 * The inspector's token (issue 15): guesses are throttled per client address and in total (they
 * ran at 1,277/s), `?token=` is taken only by the event stream (not by admin actions), and a
 * listed origin's preflight may send the Authorization header.
 */

/** A GET from a chosen loopback source address (127.0.0.0/8 is all ours on Linux). */
function getFrom(server: TestServer, from: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, localAddress: from, path: `/api/socket/_inspector/${path}`, headers, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('inspector token guard', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ inspector: { token: TOKEN }, allowedOrigins: [APP] })
  })
  afterAll(() => server?.close())

  it('takes ?token= on the event stream only: snapshot, emit and disconnect want the header', async () => {
    const victim = (await (await fetch(`${server.url}/connect`, { method: 'POST', body: '{}' })).json()) as { sid: string }
    const socket = await server.io.fetchSocket(victim.sid)
    expect(socket).toBeTruthy()
    const q = `token=${encodeURIComponent(TOKEN)}`
    expect((await fetch(`${server.url}/_inspector/snapshot?${q}`)).status).toBe(401)
    const emit = await fetch(`${server.url}/_inspector/emit?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: { all: true }, event: 'note', data: 1 }),
    })
    expect(emit.status).toBe(401)
    const disconnect = await fetch(`${server.url}/_inspector/disconnect?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sid: victim.sid }),
    })
    expect(disconnect.status).toBe(401)
    expect((await server.io.fetchSockets()).map((s) => s.id)).toContain(victim.sid)
    // The feed: EventSource cannot send a header.
    const controller = new AbortController()
    const feed = await fetch(`${server.url}/_inspector/events?${q}`, { signal: controller.signal })
    expect(feed.status).toBe(200)
    expect(feed.headers.get('content-type')).toMatch(/event-stream/)
    controller.abort()
    // With the header, all of them work.
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }
    expect((await fetch(`${server.url}/_inspector/snapshot`, { headers: auth })).status).toBe(200)
    const ok = await fetch(`${server.url}/_inspector/disconnect`, { method: 'POST', headers: auth, body: JSON.stringify({ sid: victim.sid }) })
    expect(ok.status).toBe(200)
  })

  it('throttles wrong tokens: 10 per address per minute, then 429 with Retry-After even for the right token; other addresses still get in', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) statuses.push((await getFrom(server, '127.0.0.2', 'snapshot', { authorization: `Bearer guess-${i}` })).status)
    expect(statuses.filter((s) => s === 401).length).toBe(10)
    expect(statuses.filter((s) => s === 429).length).toBe(20)
    const right = await getFrom(server, '127.0.0.2', 'snapshot', { authorization: `Bearer ${TOKEN}` })
    expect(right.status).toBe(429)
    expect(Number(right.retryAfter)).toBeGreaterThan(0)
    expect(Number(right.retryAfter)).toBeLessThanOrEqual(60)
    // Guessing through the feed's ?token= counts the same.
    expect((await getFrom(server, '127.0.0.2', 'events?token=guess')).status).toBe(429)
    expect((await getFrom(server, '127.0.0.3', 'snapshot', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
  })

  it('throttles everyone once 100 guesses came from many addresses in a minute', async () => {
    let wrong = 10 // 127.0.0.2's, above
    for (let host = 10; wrong < 100; host++) {
      for (let i = 0; i < 10 && wrong < 100; i++) {
        expect((await getFrom(server, `127.0.0.${host}`, 'snapshot', { authorization: 'Bearer nope' })).status).toBe(401)
        wrong++
      }
    }
    expect((await getFrom(server, '127.0.0.200', 'snapshot', { authorization: `Bearer ${TOKEN}` })).status).toBe(429)
    // The app itself is not throttled: only the inspector.
    expect((await fetch(`${server.url}/connect`, { method: 'POST', body: '{}' })).status).toBe(200)
  })

  it('lets a listed origin send the Authorization header (preflight), and answers it with CORS headers', async () => {
    const pre = await fetch(`${server.url}/_inspector/snapshot`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    expect(pre.status).toBe(204)
    expect((pre.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim().toLowerCase())).toContain('authorization')
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP)
    const other = await fetch(`${server.url}/_inspector/snapshot`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    expect(other.status).toBe(403)
    expect(other.headers.get('access-control-allow-headers')).toBeNull()
  })
  it('serves a bearer-authenticated inspector request from any Origin (the DevTools panel), without CORS headers; nothing else', async () => {
    // A server of its own: the one above is throttled by now.
    const server = await startServer({ inspector: { token: TOKEN }, allowedOrigins: [APP] })
    onTestFinished(() => server.close())
    const ext = 'chrome-extension://abcdefghijklmnop'
    const ok = await fetch(`${server.url}/_inspector/snapshot`, { headers: { origin: ext, authorization: `Bearer ${TOKEN}` } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBeNull()
    // Not with the query token, not on the app's own routes, not as a preflight.
    const controller = new AbortController()
    const feed = await fetch(`${server.url}/_inspector/events?token=${TOKEN}`, { headers: { origin: ext }, signal: controller.signal })
    expect(feed.status).toBe(403)
    controller.abort()
    const connect = await fetch(`${server.url}/connect`, { method: 'POST', headers: { origin: ext, authorization: `Bearer ${TOKEN}` }, body: '{}' })
    expect(connect.status).toBe(403)
    const pre = await fetch(`${server.url}/_inspector/snapshot`, {
      method: 'OPTIONS',
      headers: { origin: ext, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    expect(pre.status).toBe(403)
  })
})
