// The inspector embedded in an admin page on another origin (mountInspector from the embed
// bundle), in Chromium, against a real server: errors are visible, sessions say how they are,
// the host page's CSS cannot restyle it, and a refused origin is explained. Screenshots go to
// test-output/inspector-embed/.
import http from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { launchChromium } from '../support/browser.js'
import { outputDir, ROOT } from '../support/paths.js'
import { startServer, type TestServer } from '../support/server.js'

const TOKEN = 'embed-secret'
const LONG = 30_000

/** The admin page: hostile CSS (upper-cases and recolours everything), and the inspector mounted in #mount. */
function adminPage(endpoint: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>admin</title><style>
  * { text-transform: uppercase !important; font-family: serif !important; letter-spacing: 3px; }
  div, span, td, button { color: #ff00ff !important; background: #ffff00 !important; }
  table { border: 8px solid red !important; }
</style></head><body><h1>Our admin page</h1><div id="mount" style="height: 720px"></div>
<script type="module">
  import { mountInspector } from '/inspector.js'
  mountInspector(document.getElementById('mount'), { endpoint: ${JSON.stringify(endpoint)}, token: ${JSON.stringify(TOKEN)}, pollInterval: 1000 })
</script></body></html>`
}

/** The admin site; `endpoint` is read per page load (the API server is started once the site's origin is known). */
async function startAdminSite(endpoint: () => string): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = readFileSync(join(ROOT, 'inspector-ui/dist/embed/inspector.js'))
  const server = http.createServer((req, res) => {
    if (req.url === '/inspector.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' })
      res.end(bundle)
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(adminPage(endpoint()))
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}

describe('inspector embedded on another origin', () => {
  let api: TestServer
  let site: { url: string; close(): Promise<void> }
  let browser: Browser
  let page: Page
  const clients: ClientSocket[] = []
  const pageErrors: string[] = []
  let OUT = ''

  beforeAll(async () => {
    OUT = outputDir('inspector-embed')
    // The admin site's origin goes into allowedOrigins: start the site first.
    site = await startAdminSite(() => api.url)
    api = await startServer(
      // ackTimeout and pingInterval: shorter, so timeouts and health show within the test
      { inspector: { token: TOKEN }, allowedOrigins: [site.url], ackTimeout: 300, pingInterval: 2000 },
      (io) => {
        io.onMessage('join', async (s, room: string) => void (await s.join(room)))
        io.onMessage('flaky', () => {
          throw new Error('database down')
        })
        io.onMessage('echo', (_s, d: unknown) => d)
      },
    )
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 60_000)

  afterAll(async () => {
    for (const c of clients) c.disconnect()
    await browser?.close().catch(() => {})
    await site?.close()
    await api?.close()
    if (pageErrors.length) console.log(pageErrors.join('\n'))
  }, 30_000)

  it('shows handler errors per event and room, session health and last errors, unstyled by the host page', async () => {
    const socket = connect(api.url, { transports: ['sse'] })
    clients.push(socket)
    await new Promise<void>((r) => socket.once('connect', () => r()))
    await socket.emitWithAck('join', 'ops')
    for (let i = 0; i < 3; i++) await socket.emitWithAck('flaky', i).catch(() => {})
    for (let i = 0; i < 5; i++) await socket.emitWithAck('echo', i)
    // a client that connects and never opens a stream
    const never = (await (await fetch(`${api.url}/connect`, { method: 'POST', body: '{}' })).json()) as { sid: string }

    await page.goto(site.url)
    await page.getByTestId('ssi-root').waitFor({ timeout: LONG })
    const errorRow = (scope: string) => page.getByTestId('ssi-error-row').filter({ hasText: scope })
    await expect.poll(() => errorRow('event flaky').count(), { timeout: LONG }).toBe(1)
    expect(await errorRow('event flaky').innerText()).toMatch(/handler error\s+HANDLER_ERROR\s+event flaky\s+3/)
    expect(await errorRow('room ops').innerText()).toMatch(/\b3\b/)
    await expect.poll(() => page.getByTestId('ssi-ack-failed-total').innerText()).toBe('3')
    await page.screenshot({ path: join(OUT, 'overview-errors.png') })

    await page.getByTestId('ssi-tab-acks').click()
    const flakyRow = page.getByTestId('ssi-ack-row').filter({ hasText: 'flaky' })
    await expect.poll(() => flakyRow.innerText(), { timeout: LONG }).toMatch(/handler time[\s\S]*3[\s\S]*3 \(100%\)/)
    await page.screenshot({ path: join(OUT, 'acks-failed.png') })

    await page.getByTestId('ssi-tab-sessions').click()
    const row = (sid: string) => page.locator(`[data-testid="ssi-session-row"][data-sid="${sid}"]`)
    await expect.poll(() => row(never.sid).getAttribute('data-health'), { timeout: LONG }).toBe('never-streamed')
    expect(await row(socket.id!).getAttribute('data-health')).toBe('live')
    expect(await row(never.sid).getByTestId('ssi-health').innerText()).toBe('never streamed')
    // The host page's CSS does not reach in: ids keep their case, colours are the inspector's.
    const idCell = row(socket.id!).getByText(socket.id!.slice(0, 8), { exact: false }).first()
    expect(await idCell.innerText()).toContain(socket.id!.slice(0, 8))
    const style = await idCell.evaluate((el) => {
      const s = getComputedStyle(el)
      return { transform: s.textTransform, color: s.color, font: s.fontFamily }
    })
    expect(style.transform).toBe('none')
    expect(style.color).not.toBe('rgb(255, 0, 255)')
    expect(style.font).not.toMatch(/^serif/)
    // while the host page itself is upper-cased: the test would prove nothing otherwise
    expect(await page.locator('h1').evaluate((el) => getComputedStyle(el).textTransform)).toBe('uppercase')
    await page.screenshot({ path: join(OUT, 'sessions-health.png') })

    await row(socket.id!).click()
    const errors = page.getByTestId('ssi-session-error')
    await expect.poll(() => errors.count(), { timeout: LONG }).toBe(3)
    expect(await page.getByTestId('ssi-session-errors').innerText()).toMatch(/handler\s+HANDLER_ERROR\s+flaky/)
    await page.screenshot({ path: join(OUT, 'session-errors.png') })
  }, 120_000)

  it('a page whose origin the server does not allow is told what to fix, not "Failed to fetch"', async () => {
    const other = await startServer({ inspector: { token: TOKEN } })
    const otherSite = await startAdminSite(() => other.url)
    try {
      const p = await browser.newPage()
      await p.goto(otherSite.url)
      const alert = p.getByTestId('ssi-error')
      await alert.waitFor({ timeout: LONG })
      const text = await alert.innerText()
      expect(text).toContain(`allowedOrigins: ['${otherSite.url}']`)
      expect(text).not.toMatch(/^Failed to fetch$/)
      await p.screenshot({ path: join(OUT, 'refused-origin.png') })
      await p.close()
    } finally {
      await otherSite.close()
      await other.close()
    }
  }, 60_000)
})
