// A page served by Vite's dev server talks to socket-serve through Vite's `server.proxy` (a real
// Vite dev server, in this process). With `changeOrigin` (also what the string shorthand
// `'/api/socket': 'http://localhost:3000'` sets), Vite rewrites Host to the target and, without
// `xfwd`, sends no X-Forwarded-Host: the page's Origin then names another host and the
// same-origin check refuses it, with a message that says so. With `xfwd: true` (and a server that
// trusts forwarded headers: `trustProxy`), or without
// `changeOrigin`, the client connects and the round trip works through the proxy (SSE included).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type ClientSocket } from '@socket-serve/client'
import { createServer, type ProxyOptions, type ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupsAfterEach } from '../support/cleanups.js'
import { freePort } from '../support/ports.js'
import { startServer, type TestServer } from '../support/server.js'

let backend: TestServer
const root = mkdtempSync(join(tmpdir(), 'socket-serve-vite-'))
beforeAll(async () => {
  backend = await startServer({ trustProxy: true }, (io) => {
    io.onConnect((socket) => socket.emit('welcome', { id: socket.id }))
    io.onMessage('echo', (socket, data) => data)
  })
})
afterAll(async () => {
  await backend.close()
  rmSync(root, { recursive: true, force: true })
})
const cleanups = cleanupsAfterEach()

/** A Vite dev server on a free port whose proxy sends /api/socket to the backend. */
async function vite(proxy: string | ProxyOptions): Promise<string> {
  const port = await freePort()
  const server: ViteDevServer = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, ws: false, proxy: { '/api/socket': proxy } },
  })
  await server.listen()
  cleanups.push(() => server.close())
  return `http://localhost:${port}`
}

/** The client as a page on the Vite origin runs it: every request carries that Origin. */
function pageClient(page: string): ClientSocket {
  const socket = connect(`${page}/api/socket`, {
    reconnection: false,
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), origin: page } }),
  })
  cleanups.push(() => socket.disconnect())
  return socket
}

async function roundTrip(page: string) {
  const socket = pageClient(page)
  const welcome = await new Promise<{ id: string }>((resolve, reject) => {
    socket.on('welcome', resolve)
    socket.on('connect_error', reject)
  })
  expect(welcome.id).toBe(socket.id)
  expect(await socket.emitWithAck('echo', { n: 1 })).toEqual({ n: 1 })
}

describe('behind a Vite dev server proxy', () => {
  const target = () => `http://127.0.0.1:${backend.port}`

  it('changeOrigin without xfwd (the string shorthand): connect is refused with 403 FORBIDDEN naming the fix', async () => {
    const page = await vite(target())
    const socket = pageClient(page)
    const err = await new Promise<{ code: string; status: number; message: string }>((resolve) => socket.on('connect_error', resolve))
    expect(err.code).toBe('FORBIDDEN')
    expect(err.status).toBe(403)
    expect(err.message).toContain(`origin ${page} is not allowed`)
    expect(err.message).toContain('xfwd: true')
    expect(err.message).toContain('trustProxy')
  })

  it('changeOrigin with xfwd: true connects and round-trips', async () => {
    await roundTrip(await vite({ target: target(), changeOrigin: true, xfwd: true }))
  })

  it('without changeOrigin connects and round-trips', async () => {
    await roundTrip(await vite({ target: target() }))
  })

  it('changeOrigin with the dev origin in allowedOrigins connects and round-trips', async () => {
    const port = await freePort()
    const page = `http://localhost:${port}`
    const allowing = await startServer({ allowedOrigins: [page] }, (io) => {
      io.onConnect((socket) => socket.emit('welcome', { id: socket.id }))
      io.onMessage('echo', (socket, data) => data)
    })
    cleanups.push(() => allowing.close())
    const server = await createServer({
      root,
      configFile: false,
      logLevel: 'silent',
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, ws: false, proxy: { '/api/socket': `http://127.0.0.1:${allowing.port}` } },
    })
    await server.listen()
    cleanups.push(() => server.close())
    await roundTrip(page)
  })
})
