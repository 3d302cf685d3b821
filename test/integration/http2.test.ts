/**
 * io.middleware() on node:http2 (createSecureServer with HTTP/1.1 fallback), the one way a Node
 * server gives browsers HTTP/2: every tab's stream and POSTs on one connection, where HTTP/1.1
 * allows a browser 6 connections per host, each open stream holding one.
 *
 * An HTTP/2 request has no Host header (the host is the :authority pseudo-header), so before the
 * adapter read it, the handler built its URL on `localhost`: a browser's same-origin POST
 * (Origin: https://127.0.0.1:PORT) did not match and was refused as cross-origin.
 *
 * The requests here are node:http2's own client, speaking HTTP/2 to a real server on loopback.
 */
import http2 from 'node:http2'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { serve, type IO, type ServeOptions } from 'socket-serve'
import { TEST_DIR } from '../support/paths.js'
import { until } from '../support/server.js'

const TLS = {
  key: readFileSync(join(TEST_DIR, 'support/tls/localhost-key.pem')),
  cert: readFileSync(join(TEST_DIR, 'support/tls/localhost-cert.pem')),
}

interface Answer {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
}

/** One request on an HTTP/2 session, read whole. */
function request(session: http2.ClientHttp2Session, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': method, ':path': path, ...headers })
    let status = 0
    let got: http2.IncomingHttpHeaders = {}
    let text = ''
    req.setEncoding('utf8')
    req.on('response', (h) => {
      got = h
      status = Number(h[':status'])
    })
    req.on('data', (chunk: string) => (text += chunk))
    req.on('end', () => resolve({ status, headers: got, body: text }))
    req.on('error', reject)
    req.end(body)
  })
}

/** A GET whose SSE `data:` lines are collected as they arrive. */
function openSse(session: http2.ClientHttp2Session, path: string, headers: Record<string, string>) {
  const req = session.request({ ':method': 'GET', ':path': path, ...headers })
  const data: unknown[] = []
  let status = 0
  let buf = ''
  req.setEncoding('utf8')
  req.on('response', (h) => (status = Number(h[':status'])))
  req.on('data', (chunk: string) => {
    buf += chunk
    let sep: number
    while ((sep = buf.indexOf('\n\n')) !== -1) {
      for (const line of buf.slice(0, sep).split('\n')) if (line.startsWith('data:')) data.push(JSON.parse(line.slice(5)))
      buf = buf.slice(sep + 2)
    }
  })
  req.on('error', () => {})
  return { data, status: () => status, close: () => req.close() }
}

describe('io.middleware() on node:http2', () => {
  let io: IO | undefined
  let server: http2.Http2SecureServer | undefined
  let session: http2.ClientHttp2Session | undefined

  afterEach(async () => {
    session?.destroy()
    await io?.close()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    io = server = session = undefined
  })

  async function start(options: ServeOptions = {}): Promise<string> {
    io = serve(options)
    io.onMessage('echo', async (socket, data) => {
      await socket.emit('echoed', data)
      return { got: data }
    })
    const mw = io.middleware()
    server = http2.createSecureServer({ ...TLS, allowHTTP1: true }, (req, res) => mw(req, res))
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    session = http2.connect(origin, { rejectUnauthorized: false })
    return origin
  }

  it("accepts a browser's same-origin connect and message (Origin is https://host:port, the host only in :authority)", async () => {
    const origin = await start()
    const json = { 'content-type': 'application/json', origin }
    const connect = await request(session!, 'POST', '/api/socket/connect', json, '{}')
    expect(connect.status, connect.body).toBe(200)
    const { sid, token } = JSON.parse(connect.body) as { sid: string; token: string }
    const auth = { 'x-socket-sid': sid, 'x-socket-token': token }

    const stream = openSse(session!, `/api/socket/sse?sid=${sid}`, { ...auth, origin })
    await until(() => stream.data.length > 0, 'the open frame')
    expect(stream.status()).toBe(200)

    const sent = await request(session!, 'POST', '/api/socket/message', { ...json, ...auth }, JSON.stringify({ messages: [{ id: 1, event: 'echo', data: 'hi', ack: true }] }))
    expect(sent.status, sent.body).toBe(200)
    expect(JSON.parse(sent.body)).toEqual({ acks: [{ id: 1, data: { got: 'hi' } }] })
    // The handler's emit came back on the stream, on the same HTTP/2 connection as the POST.
    await until(() => stream.data.some((f) => (f as { e?: string }).e === 'echoed'), 'the echoed event on the stream')
    expect(stream.data.filter((f) => (f as { e?: string }).e === 'echoed')).toEqual([expect.objectContaining({ e: 'echoed', d: 'hi' })])
    stream.close()
  })

  it('refuses another origin and bad input as on HTTP/1.1', async () => {
    await start()
    const other = await request(session!, 'POST', '/api/socket/connect', { 'content-type': 'application/json', origin: 'https://evil.example' }, '{}')
    expect(other.status).toBe(403)
    expect(JSON.parse(other.body).error.code).toBe('FORBIDDEN')
    const bad = await request(session!, 'POST', '/api/socket/connect', { 'content-type': 'application/json' }, '{not json')
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.code).toBe('BAD_REQUEST')
  })

  it('answers a body that trickles in with 408 (the HTTP/1.1 answer also asks to close the connection, a header HTTP/2 forbids)', async () => {
    const origin = await start({ limits: { bodyTimeout: 300 } })
    const req = session!.request({ ':method': 'POST', ':path': '/api/socket/connect', 'content-type': 'application/json', origin })
    req.write('{')
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      let status = 0
      let body = ''
      req.setEncoding('utf8')
      req.on('response', (h) => (status = Number(h[':status'])))
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => resolve({ status, body }))
      req.on('error', reject)
    })
    expect(answer.status).toBe(408)
    expect(JSON.parse(answer.body).error.code).toBe('REQUEST_TIMEOUT')
    // The connection is still good for the next request.
    expect((await request(session!, 'POST', '/api/socket/connect', { 'content-type': 'application/json', origin }, '{}')).status).toBe(200)
  })
})
