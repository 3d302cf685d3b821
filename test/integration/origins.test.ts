import http from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, normalize } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../support/browser.js'
import { ROOT } from '../support/paths.js'
import { startServer, until, type TestServer } from '../support/server.js'
import { expectRefusal, rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'

const EVIL = 'https://evil.example'
const APP = 'https://app.example'

/**
 * DESIGN §5 "Origins": same-origin by default; other origins only when the config
 * allows them (CORS, preflight included). A refused origin creates nothing.
 */
describe('origins, default same-origin', () => {
  let server: TestServer
  let ran = 0
  let victim: RawSession

  beforeAll(async () => {
    server = await startServer({}, (io) => io.onMessage('count', () => ++ran))
    victim = await rawConnect(server.url)
  })
  afterAll(() => server?.close())

  const own = () => `http://127.0.0.1:${server.port}`
  const connectFrom = (origin: string) =>
    fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' })

  it("allows the server's own origin", async () => {
    const res = await connectFrom(own())
    expect(res.status).toBe(200)
    const body = (await res.json()) as { sid: string }
    expect(body.sid).toMatch(/^[\w-]{20}$/)
    // Same-origin needs no CORS headers.
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    const msg = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: own(), ...sessionHeaders(victim) },
      body: JSON.stringify({ messages: [{ id: 1, event: 'count', ack: true }] }),
    })
    expect(msg.status).toBe(200)
    expect(ran).toBe(1)
  })

  it('does not take X-Forwarded-Host from anyone: only with trustProxy (tested in hosts.test.ts)', async () => {
    const dev = 'http://localhost:5173'
    const res = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: dev, 'x-forwarded-host': 'localhost:5173' },
      body: '{}',
    })
    await expectRefusal(res, 403, 'FORBIDDEN')
    await expectRefusal(await connectFrom(dev), 403, 'FORBIDDEN')
  })

  it.each([EVIL, 'null', `http://127.0.0.1:${1}`, 'http://127.0.0.1.evil.example', 'not a url'])(
    'refuses Origin %s on connect, message, ack, disconnect, sse, poll with 403 FORBIDDEN, creating nothing',
    async (origin) => {
      const before = (await server.io.fetchSockets()).map((s) => s.id).sort()
      const ranBefore = ran
      await expectRefusal(await connectFrom(origin), 403, 'FORBIDDEN')
      const auth = { ...sessionHeaders(victim), 'content-type': 'application/json', origin }
      const posts: [string, string][] = [
        ['message', JSON.stringify({ messages: [{ id: 1000, event: 'count', ack: true }] })],
        ['ack', JSON.stringify({ acks: [{ id: 'x.1', data: 1 }] })],
        ['disconnect', '{}'],
      ]
      for (const [route, body] of posts) {
        const res = await fetch(`${server.url}/${route}`, { method: 'POST', headers: auth, body })
        await expectRefusal(res, 403, 'FORBIDDEN')
      }
      for (const route of ['sse', 'poll?wait=0']) {
        const res = await fetch(`${server.url}/${route}`, { headers: auth, signal: AbortSignal.timeout(10_000) })
        expect(res.headers.get('content-type')).not.toMatch(/event-stream/)
        await expectRefusal(res, 403, 'FORBIDDEN')
      }
      // Query-token stream reads are refused the same way.
      const q = new URLSearchParams({ sid: victim.sid, st: victim.streamToken, wait: '0' })
      await expectRefusal(await fetch(`${server.url}/poll?${q}`, { headers: { origin } }), 403, 'FORBIDDEN')
      // Nothing created, nothing ran, the victim is still there.
      expect((await server.io.fetchSockets()).map((s) => s.id).sort()).toEqual(before)
      expect(ran).toBe(ranBefore)
      expect(before).toContain(victim.sid)
    },
  )

  it('answers a preflight from another origin with 403 and no CORS headers', async () => {
    const res = await fetch(`${server.url}/connect`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    await expectRefusal(res, 403, 'FORBIDDEN')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('origins, allowedOrigins', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ allowedOrigins: [APP] })
  })
  afterAll(() => server?.close())

  const preflight = (origin: string, route = 'connect', method = 'POST', headers = 'content-type') =>
    fetch(`${server.url}/${route}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    })

  it.each([
    ['connect', 'POST', 'content-type'],
    ['message', 'POST', 'content-type, x-socket-sid, x-socket-token'],
    ['ack', 'POST', 'content-type, x-socket-sid, x-socket-token'],
    ['disconnect', 'POST', 'content-type, x-socket-sid, x-socket-token'],
    ['sse', 'GET', 'x-socket-sid, x-socket-token, last-event-id'],
    ['poll', 'GET', 'x-socket-sid, x-socket-token, last-event-id'],
  ])('preflight of /%s from an allowed origin: 204 with the CORS headers', async (route, method, asked) => {
    const res = await preflight(APP, route, method, asked)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    const methods = list(res.headers.get('access-control-allow-methods'))
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST']))
    const allowed = list(res.headers.get('access-control-allow-headers')).map((h) => h.toLowerCase())
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-socket-sid', 'x-socket-token', 'last-event-id']))
    expect(list(res.headers.get('vary')).map((v) => v.toLowerCase())).toContain('origin')
  })

  it('preflight from another origin: 403, no CORS headers', async () => {
    const res = await preflight(EVIL)
    await expectRefusal(res, 403, 'FORBIDDEN')
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('a connect, a message, a refusal and a stream from the allowed origin carry access-control-allow-origin', async () => {
    const res = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP },
      body: '{}',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    // Retry-After must be readable cross-origin, or the client cannot wait out a 429.
    expect(list(res.headers.get('access-control-expose-headers')).map((h) => h.toLowerCase())).toContain('retry-after')
    const s = (await res.json()) as RawSession

    const wrong = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: APP, 'x-socket-sid': s.sid, 'x-socket-token': 'nope' },
      body: '{"messages":[{"id":1,"event":"x"}]}',
    })
    // The browser must be able to read the refusal, or the client cannot type it.
    expect(wrong.headers.get('access-control-allow-origin')).toBe(APP)
    await expectRefusal(wrong, 401, 'UNAUTHORIZED')

    const stream = await fetch(`${server.url}/poll?wait=0`, { headers: { origin: APP, ...sessionHeaders(s) } })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('access-control-allow-origin')).toBe(APP)
    expect(await stream.text()).toContain('"c":"open"')
  })

  it('still refuses other origins, and still allows its own', async () => {
    const before = (await server.io.fetchSockets()).length
    const evil = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json', origin: EVIL }, body: '{}' })
    await expectRefusal(evil, 403, 'FORBIDDEN')
    // The refusal is readable by the refused page (so it sees FORBIDDEN), and nothing else is granted:
    // its preflight, needed for every session request, is refused with no CORS headers.
    expect(evil.headers.get('access-control-allow-origin')).toBe(EVIL)
    const preflight = await fetch(`${server.url}/message`, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST' } })
    expect(preflight.status).toBe(403)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    expect((await server.io.fetchSockets()).length).toBe(before)
    const own = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${server.port}` },
      body: '{}',
    })
    expect(own.status).toBe(200)
  })
})

/**
 * The same rules seen from a real page: Chromium on http://localhost:PAGE_PORT loads the
 * built client and connects to the socket server on http://127.0.0.1:PORT (another origin).
 */
describe('origins in Chromium', () => {
  let browser: Browser
  let pages: http.Server
  let pageOrigin: string
  const servers: TestServer[] = []

  beforeAll(async () => {
    const clientDist = join(ROOT, 'client', 'dist')
    pages = http.createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(PAGE)
        return
      }
      if (path.startsWith('/client/')) {
        const file = normalize(join(clientDist, path.slice('/client/'.length)))
        if (file.startsWith(clientDist) && file.endsWith('.js')) {
          try {
            const js = await readFile(file)
            res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
            res.end(js)
            return
          } catch {
            // fall through to 404
          }
        }
      }
      res.writeHead(404)
      res.end()
    })
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', r))
    pageOrigin = `http://localhost:${(pages.address() as AddressInfo).port}`
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    for (const s of servers) await s.close()
    pages?.closeAllConnections()
    await new Promise((r) => pages?.close(r))
  })

  async function openPage(): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(`${pageOrigin}/`)
    await page.waitForFunction(() => typeof (window as any).runSocket === 'function')
    return page
  }

  const run = (page: Page, url: string, transports: string[]) =>
    page.evaluate(([u, t]) => (window as any).runSocket(u, t), [url, transports] as const) as Promise<PageResult>

  it('a page of another origin is refused by default: the page sees connect_error FORBIDDEN, nothing is created', async () => {
    const server = await startServer({}, (io) => io.onMessage('echo', (_s, d) => d))
    servers.push(server)
    const page = await openPage()
    try {
      const result = await run(page, server.url, ['sse', 'polling'])
      expect(result.connected).toBe(false)
      // The page must be able to read the refusal (so it is typed), and a refusal is final: no retries.
      expect(result.errors, JSON.stringify(result)).toEqual([{ code: 'FORBIDDEN', status: 403, message: expect.any(String) }])
      expect(await server.io.fetchSockets()).toEqual([])
    } finally {
      await page.close()
    }
  })

  it.each([['sse'], ['polling']])('works over %s when the page origin is in allowedOrigins: connected, and an ack comes back', async (transport) => {
    const server = await startServer({ allowedOrigins: [pageOrigin] }, (io) => {
      io.onMessage('echo', (s, d) => ({ echo: d, id: s.id }))
      io.onMessage('push', async (s) => {
        await s.emit('pushed', 'pushed')
        return 'ok'
      })
    })
    servers.push(server)
    const page = await openPage()
    try {
      const result = await run(page, server.url, [transport])
      expect(result.errors).toEqual([])
      expect(result.connected).toBe(true)
      expect(result.transport).toBe(transport)
      expect(result.ack).toEqual({ echo: 'hi from the page', id: result.id })
      expect(result.pushed).toEqual(['pushed'])
      await until(async () => (await server.io.fetchSockets()).length === 0, 'the page’s disconnect')
    } finally {
      await page.close()
    }
  })
})

interface PageResult {
  connected: boolean
  id?: string
  transport?: string
  ack?: unknown
  pushed?: unknown[]
  errors: { code: string; status: number; message: string }[]
}

/** The page: imports the built client, connects, emits with ack, waits for a server push, disconnects. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>origins</title>
<script type="module">
import { connect } from '/client/index.js'
window.runSocket = (url, transports) => new Promise((resolve) => {
  const errors = []
  const socket = connect(url, { transports })
  const finish = (result) => { socket.disconnect(); resolve({ ...result, errors }) }
  socket.on('connect_error', (e) => {
    errors.push({ code: e.code, status: e.status, message: e.message })
    // give the client a moment to show whether it retries on its own
    setTimeout(() => { if (!socket.connected && !socket.active) finish({ connected: false }) }, 1500)
  })
  socket.on('reconnect_failed', () => finish({ connected: false }))
  socket.on('connect', async () => {
    try {
      const pushed = []
      socket.on('pushed', (d) => pushed.push(d))
      const ack = await socket.emitWithAck('echo', 'hi from the page', { timeout: 10000 })
      const id = socket.id, transport = socket.transport
      const t0 = Date.now()
      await socket.emitWithAck('push', null, { timeout: 10000 }).catch(() => {})
      while (pushed.length === 0 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20))
      finish({ connected: true, id, transport, ack, pushed })
    } catch (e) {
      errors.push({ code: e.code, status: e.status, message: e.message })
      finish({ connected: true })
    }
  })
})
</script>`

function list(header: string | null): string[] {
  return (header ?? '').split(',').map((s) => s.trim()).filter(Boolean)
}
