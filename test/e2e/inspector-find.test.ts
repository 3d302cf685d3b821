// Issue 18, item 4 in Chromium: the inspector (embed bundle, on an admin page) of one of two
// instances sharing a real redis-server. The overview lists both instances (streams, version,
// heartbeat) and Redis's health; the session search finds a client by user agent, address and
// instance, and its detail shows them. Screenshots go to test-output/inspector-find/.
import http from 'node:http'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SID_HEADER, TOKEN_HEADER } from '@socket-serve/client/protocol'
import { redisStore } from 'socket-serve/redis'
import { launchChromium } from '../support/browser.js'
import { outputDir, ROOT } from '../support/paths.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { startServer, type TestServer } from '../support/server.js'

const TOKEN = 'find-e2e-secret'
const LONG = 30_000

function adminPage(endpoint: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>admin</title></head><body>
<div id="mount" style="height: 860px"></div>
<script type="module">
  import { mountInspector } from '/inspector.js'
  mountInspector(document.getElementById('mount'), { endpoint: ${JSON.stringify(endpoint)}, token: ${JSON.stringify(TOKEN)}, pollInterval: 1000 })
</script></body></html>`
}

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
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

describe('inspector: find anyone, in Chromium', () => {
  let redis: RedisServer
  let a: TestServer
  let b: TestServer
  let site: { url: string; close(): Promise<void> }
  let browser: Browser
  let page: Page
  const streams: AbortController[] = []
  const pageErrors: string[] = []
  let OUT = ''

  beforeAll(async () => {
    OUT = outputDir('inspector-find')
    redis = await startRedis()
    site = await startAdminSite(() => a.url)
    const options = () => ({
      store: redisStore(redis.url, { prefix: `finde2e${process.pid}` }),
      inspector: { token: TOKEN },
      allowedOrigins: [site.url],
      // B's record (its open streams) is rewritten at its streams' heartbeats: every 5 s here, not 25
      pingInterval: 5000,
      // behind a proxy the app trusts: the address is its header's
      clientAddress: (req: Request) => req.headers.get('x-forwarded-for') ?? undefined,
    })
    a = await startServer(options())
    b = await startServer(options())
    browser = await launchChromium()
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 60_000)

  afterAll(async () => {
    for (const s of streams) s.abort()
    await browser?.close().catch(() => {})
    await site?.close()
    await a?.close()
    await b?.close()
    await redis?.stop()
    if (pageErrors.length) console.log(pageErrors.join('\n'))
  }, 30_000)

  /** A client connected through A whose SSE stream is served by B. */
  async function fieldClient(address: string, userAgent: string): Promise<string> {
    const res = await fetch(`${a.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent, 'x-forwarded-for': address },
      body: '{}',
    })
    const s = (await res.json()) as { sid: string; token: string }
    const abort = new AbortController()
    streams.push(abort)
    const stream = await fetch(`${b.url}/sse`, { headers: { [SID_HEADER]: s.sid, [TOKEN_HEADER]: s.token }, signal: abort.signal })
    void (async () => {
      const reader = stream.body!.getReader()
      try {
        while (!(await reader.read()).done) {}
      } catch {
        // aborted
      }
    })()
    return s.sid
  }

  it('lists both instances and Redis health, and finds a client by user agent, address and instance', async () => {
    const wanted = await fieldClient('203.0.113.50', 'FieldPhone/9.9 (incident-7)')
    for (let i = 0; i < 3; i++) await fieldClient(`198.51.100.${i + 1}`, `Desk/${i}`)
    const idB = ((await (await fetch(`${b.url}/_inspector/instances`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      instances: { id: string; self: boolean }[]
    }).instances.find((i) => i.self)!.id

    await page.goto(site.url)
    await page.getByTestId('ssi-root').waitFor({ timeout: LONG })
    // Overview: the two instances, B with the four streams, and Redis's health.
    const rows = page.getByTestId('ssi-instance-row')
    await expect.poll(() => rows.count(), { timeout: LONG }).toBe(2)
    const rowB = page.locator(`[data-testid="ssi-instance-row"][data-instance="${idB}"]`)
    await expect.poll(() => rowB.getAttribute('data-streams'), { timeout: LONG }).toBe('4')
    expect(await rowB.innerText()).toMatch(/1\.0\.0-beta\.1\s+4\s+(now|\d+s ago)$/)
    expect(await rows.filter({ hasText: '(this one)' }).count()).toBe(1)
    const storeCard = page.getByTestId('ssi-store-health')
    expect(await storeCard.innerText()).toContain('Redis health')
    expect(await page.getByTestId('ssi-store-latency').innerText()).toMatch(/^\d+(\.\d\d)? ms$/) // a number: its size depends on the machine's load
    expect(await page.getByTestId('ssi-store-memory').innerText()).toMatch(/MiB \(no maxmemory set\)/)
    expect(await page.getByTestId('ssi-store-errors').getAttribute('data-count')).toBe('0')
    await page.getByTestId('ssi-instances').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(OUT, 'overview-instances.png') })

    // Sessions: the search finds the one client by its user agent, by its address, by its instance.
    await page.getByTestId('ssi-tab-sessions').click()
    const search = page.getByTestId('ssi-session-search')
    const listed = () => page.getByTestId('ssi-session-row').evaluateAll((els) => els.map((el) => el.getAttribute('data-sid')))
    await search.fill('fieldphone')
    await expect.poll(listed, { timeout: LONG }).toEqual([wanted])
    await page.screenshot({ path: join(OUT, 'sessions-search.png') })
    await search.fill('203.0.113.50')
    await expect.poll(listed, { timeout: LONG }).toEqual([wanted])
    await search.fill(idB)
    await expect.poll(async () => (await listed()).length, { timeout: LONG }).toBe(4)

    await search.fill('incident-7')
    await expect.poll(listed, { timeout: LONG }).toEqual([wanted])
    await page.locator(`[data-testid="ssi-session-row"][data-sid="${wanted}"]`).click()
    await expect.poll(() => page.getByTestId('ssi-session-address').innerText(), { timeout: LONG }).toBe('203.0.113.50')
    expect(await page.getByTestId('ssi-session-ua').innerText()).toBe('FieldPhone/9.9 (incident-7)')
    expect(await page.getByTestId('ssi-session-instance').innerText()).toBe(idB)
    await page.screenshot({ path: join(OUT, 'session-client.png') })
  }, 120_000)
})
