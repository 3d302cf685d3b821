import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serve, type ServeOptions } from 'socket-serve'
import { startServer, type TestServer } from '../support/server.js'
import { rawConnect, sessionHeaders, type RawSession } from '../support/raw-http.js'

/**
 * DESIGN §5 "Origins" against forged Host headers (issue 15): a DNS-rebinding page sends
 * `Host: evil.example` and `Origin: http://evil.example`, which used to pass the same-origin check.
 * The Host must be one this server serves; same-origin compares scheme, host and port; forwarded
 * headers count only with trustProxy; `cors: { origin: '*' }` never grants credentials or `null`.
 * Raw node:http requests, because fetch will not send a Host header of our choosing.
 */

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

function request(server: TestServer, path: string, headers: Record<string, string>, method = 'POST', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: `/api/socket${path}`, method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body ?? (method === 'POST' ? '{}' : undefined))
  })
}

const connect = (server: TestServer, headers: Record<string, string>) =>
  request(server, '/connect', { 'content-type': 'application/json', ...headers })

function refused(a: Answer, code = 'FORBIDDEN'): void {
  expect(a.status, a.body).toBe(403)
  expect(JSON.parse(a.body)).toEqual({ error: { code, message: expect.any(String) } })
  expect(a.headers['access-control-allow-credentials']).toBeUndefined()
}

async function withServer(options: ServeOptions, fn: (s: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer(options)
  try {
    await fn(server)
  } finally {
    await server.close()
  }
}

describe('Host check, by default (nothing configured)', () => {
  let server: TestServer
  let victim: RawSession
  beforeAll(async () => {
    server = await startServer({}, (io) => io.onMessage('ping', () => 'pong'))
    victim = await rawConnect(server.url)
  })
  afterAll(() => server?.close())

  it('refuses the DNS-rebinding pair Host: evil.example + Origin: http://evil.example, creating nothing', async () => {
    const before = (await server.io.fetchSockets()).length
    const port = server.port
    refused(await connect(server, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` }))
    refused(await connect(server, { host: 'evil.example', origin: 'http://evil.example' }))
    // Without an Origin too (a same-origin GET sends none): the session's stream is not served.
    refused(await request(server, '/poll?wait=0', { host: `evil.example:${port}`, ...sessionHeaders(victim) }, 'GET'))
    refused(
      await request(server, '/message', { host: `evil.example:${port}`, 'content-type': 'application/json', ...sessionHeaders(victim) }, 'POST',
        JSON.stringify({ messages: [{ id: 1, event: 'ping', ack: true }] })),
    )
    expect((await server.io.fetchSockets()).length).toBe(before)
  })

  it.each(['localhost', 'app.localhost', '127.0.0.1', '[::1]', '192.168.1.20'])('serves Host %s (loopback names and IP literals cannot be rebound)', async (name) => {
    const host = `${name}:${server.port}`
    const a = await connect(server, { host, origin: `http://${host}` })
    expect(a.status, a.body).toBe(200)
    expect(JSON.parse(a.body).sid).toMatch(/^[\w-]{20}$/)
  })

  it('same-origin compares the scheme: Origin https://127.0.0.1:PORT on an http request is another origin', async () => {
    const host = `127.0.0.1:${server.port}`
    refused(await connect(server, { host, origin: `https://${host}` }))
    refused(await connect(server, { host, origin: `http://${host}.evil.example` }))
    // The port is part of the origin too; default ports are the same origin written two ways.
    refused(await connect(server, { host, origin: `http://127.0.0.1:${server.port + 1}` }))
    expect((await connect(server, { host: '127.0.0.1:80', origin: 'http://127.0.0.1' })).status).toBe(200)
  })

  it('ignores X-Forwarded-Host / X-Forwarded-Proto: anyone can send them', async () => {
    const host = `127.0.0.1:${server.port}`
    refused(await connect(server, { host, origin: 'http://localhost:5173', 'x-forwarded-host': 'localhost:5173' }))
    refused(await connect(server, { host, origin: `https://${host}`, 'x-forwarded-proto': 'https' }))
    // A forged forwarded host does not make a refused Host acceptable either.
    refused(await connect(server, { host: 'evil.example', origin: 'http://evil.example', 'x-forwarded-host': 'localhost' }))
  })
})

describe('Host check with publicOrigin / allowedHosts / trustProxy', () => {
  it('publicOrigin: its host is served, its origin is same-origin even over http (TLS ended at a proxy); others are refused', async () => {
    await withServer({ publicOrigin: 'https://chat.example' }, async (server) => {
      const ok = await connect(server, { host: 'chat.example', origin: 'https://chat.example' })
      expect(ok.status, ok.body).toBe(200)
      expect(ok.headers['access-control-allow-origin']).toBeUndefined()
      refused(await connect(server, { host: 'evil.example', origin: 'http://evil.example' }))
      refused(await connect(server, { host: 'chat.example', origin: 'https://chat.example:8443' }))
      refused(await connect(server, { host: 'chat.example', origin: 'https://evil.example' }))
      // Local development keeps working: loopback Hosts are served whatever is configured.
      expect((await connect(server, { host: `localhost:${server.port}`, origin: `http://localhost:${server.port}` })).status).toBe(200)
    })
  })

  it('allowedHosts: names and .suffixes; true turns the check off', async () => {
    await withServer({ allowedHosts: ['api.internal', '.corp.example'] }, async (server) => {
      for (const host of ['api.internal', 'wiki.corp.example', 'corp.example']) expect((await connect(server, { host })).status, host).toBe(200)
      for (const host of ['evil.example', 'corp.example.evil.example', 'xcorp.example']) refused(await connect(server, { host }))
    })
    await withServer({ allowedHosts: true }, async (server) => {
      expect((await connect(server, { host: 'anything.example', origin: 'http://anything.example' })).status).toBe(200)
    })
  })

  it('trustProxy: X-Forwarded-Host/Proto name the origin (a dev proxy with changeOrigin), and are Host-checked', async () => {
    await withServer({ trustProxy: true }, async (server) => {
      const host = `127.0.0.1:${server.port}`
      const dev = await connect(server, { host, origin: 'http://localhost:5173', 'x-forwarded-host': 'localhost:5173' })
      expect(dev.status, dev.body).toBe(200)
      const tls = await connect(server, { host, origin: 'https://app.localhost', 'x-forwarded-host': 'app.localhost', 'x-forwarded-proto': 'https' })
      expect(tls.status, tls.body).toBe(200)
      // Only the host the proxy names: another one is still another origin, a foreign one is refused.
      refused(await connect(server, { host, origin: 'http://localhost:5173', 'x-forwarded-host': 'localhost:5174' }))
      refused(await connect(server, { host, origin: 'http://evil.example', 'x-forwarded-host': 'evil.example' }))
    })
  })

  it('rejects a publicOrigin that is not an origin at startup', () => {
    for (const bad of ['chat.example', 'ftp://chat.example', 'null']) expect(() => serve({ publicOrigin: bad }), bad).toThrow(/publicOrigin/)
  })
})

describe("CORS: origin '*' and null", () => {
  it("origin '*' with credentials: any https origin gets `*` and no credentials; Origin null is refused", async () => {
    await withServer({ cors: { origin: '*', credentials: true } }, async (server) => {
      const host = `127.0.0.1:${server.port}`
      const other = await connect(server, { host, origin: 'https://site.example' })
      expect(other.status).toBe(200)
      expect(other.headers['access-control-allow-origin']).toBe('*')
      expect(other.headers['access-control-allow-credentials']).toBeUndefined()
      const pre = await request(server, '/message', { host, origin: 'https://site.example', 'access-control-request-method': 'POST' }, 'OPTIONS')
      expect(pre.status).toBe(204)
      expect(pre.headers['access-control-allow-origin']).toBe('*')
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined()
      const before = (await server.io.fetchSockets()).length
      refused(await connect(server, { host, origin: 'null' }))
      refused(await request(server, '/connect', { host, origin: 'null', 'access-control-request-method': 'POST' }, 'OPTIONS'))
      expect((await server.io.fetchSockets()).length).toBe(before)
    })
  })

  it('a predicate is never asked about null; a listed null is allowed', async () => {
    await withServer({ cors: { origin: () => true, credentials: true } }, async (server) => {
      refused(await connect(server, { host: `127.0.0.1:${server.port}`, origin: 'null' }))
    })
    await withServer({ allowedOrigins: ['null'] }, async (server) => {
      const a = await connect(server, { host: `127.0.0.1:${server.port}`, origin: 'null' })
      expect(a.status).toBe(200)
      expect(a.headers['access-control-allow-origin']).toBe('null')
    })
  })
})
