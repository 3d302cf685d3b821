/**
 * @socket-serve/client/react in Chromium (issue 16, item 2): a page built by vite (development
 * mode, so StrictMode double-invokes effects) on a real node:http server. StrictMode's double
 * effects must not open a second session nor subscribe a listener twice: the server counts
 * connects and disconnects, the page counts every event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { serve, SocketServeError, type IO } from 'socket-serve'
import { launchChromium } from '../support/browser.js'
import { outputDir, ROOT } from '../support/paths.js'
import type { ClientToServer, ServerToClient } from '../apps/react-hooks/events.js'

const LONG = 30_000
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' }

describe('React hooks in Chromium (StrictMode)', () => {
  let io: IO<ClientToServer, ServerToClient>
  let server: http.Server
  let browser: Browser
  let page: Page
  let base = ''
  const connects: string[] = []
  const disconnects: string[] = []
  const errors: string[] = []

  beforeAll(async () => {
    const started = Date.now()
    const dist = outputDir('react-hooks-dist')
    const { build } = await import('vite')
    // development: React's StrictMode double effects only happen in a development build.
    await build({
      root: join(ROOT, 'test/apps/react-hooks'),
      mode: 'development',
      logLevel: 'warn',
      define: { 'process.env.NODE_ENV': JSON.stringify('development') },
      build: { outDir: dist, emptyOutDir: true, minify: false },
    })
    console.log(`[react-hooks] vite build ${Date.now() - started} ms`)

    io = serve<ClientToServer, ServerToClient>()
    io.onConnect((s) => void connects.push(s.id))
    io.onDisconnect((s) => void disconnects.push(s.id))
    io.onMessage('add', (_s, { a, b }) => {
      if (a < 0) throw new SocketServeError('BAD_REQUEST', 'negative numbers refused')
      return a + b
    })
    const mw = io.middleware()
    server = http.createServer(async (req, res) => {
      if (req.url?.startsWith('/api/socket')) return mw(req, res)
      const path = req.url === '/' ? '/index.html' : (req.url ?? '/').split('?')[0]!
      try {
        const body = await readFile(join(dist, path.replace(/\.\.+/g, '')))
        res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' })
        res.end(body)
      } catch {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
    page = await browser.newPage()
    page.on('pageerror', (e) => errors.push(e.message))
  }, 120_000)

  afterAll(async () => {
    await browser?.close().catch(() => {})
    await io?.close()
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
  })

  const text = (id: string) => page.getByTestId(id).textContent()

  it('connects one session despite double effects, delivers each event once, acks both ways, closes on unmount', async () => {
    await page.goto(base + '/')
    await expect.poll(() => text('state'), { timeout: LONG }).toBe('connected')
    const sid = await text('sid')
    expect(await page.evaluate(() => (window as { __effects?: number }).__effects)).toBe(2) // StrictMode is on
    expect(connects).toEqual([sid])
    expect(disconnects).toEqual([])

    for (let n = 1; n <= 5; n++) await io.emit('news', { n })
    await expect.poll(() => text('news'), { timeout: LONG }).toBe('1,2,3,4,5')

    // Server -> client ack through useEvent's handler.
    const [socket] = await io.fetchSockets()
    expect(await socket!.emitWithAck('ask', 'hello')).toBe('HELLO')
    expect(await text('asked')).toBe('1')

    await page.getByTestId('add').click()
    await expect.poll(() => text('reply'), { timeout: LONG }).toBe('5')
    await page.getByTestId('add-bad').click()
    await expect.poll(() => text('error'), { timeout: LONG }).toMatch(/negative numbers refused/)

    // Unmounting the provider ends the session (once); mounting again opens a new one.
    await page.getByTestId('toggle').click()
    await expect.poll(() => disconnects.length, { timeout: LONG }).toBe(1)
    expect(disconnects).toEqual([sid])
    await page.getByTestId('toggle').click()
    await expect.poll(() => text('state'), { timeout: LONG }).toBe('connected')
    expect(connects.length).toBe(2)
    await io.emit('news', { n: 6 })
    await expect.poll(() => text('news'), { timeout: LONG }).toBe('6')
    expect(errors).toEqual([])
    await page.screenshot({ path: join(outputDir('e2e'), 'react-hooks.png') })
  })
})
