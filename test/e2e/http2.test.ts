/**
 * The chat demo served over HTTPS with HTTP/2 (node:http2, TLS_KEY/TLS_CERT), in Chromium.
 *
 * Over HTTP/1.1 a browser opens at most 6 connections to a host, and each tab's open stream holds
 * one: a sixth tab leaves no connection for any tab's POSTs, a seventh cannot even load the page.
 * Over HTTP/2 every tab's stream and POSTs share one connection. Eight tabs of one browser here all
 * connect, and each sees every tab's message once.
 *
 * Before the node adapter read HTTP/2's :authority, this page could not connect at all: its
 * same-origin POST was refused as cross-origin (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../support/browser.js'
import { joinChat, say, startChatServer } from '../support/chat-page.js'
import { TEST_DIR } from '../support/paths.js'
import type { ChildHandle } from '../support/processes.js'

const LONG = 60_000
const TABS = 8

const received = (page: Page) => page.evaluate(() => ((window as any).__chat.received() as { text: string }[]).map((m) => m.text))
/** The protocols Chromium used for the page's requests to the socket endpoint (finished ones). */
const protocols = (page: Page) =>
  page.evaluate(() => [
    ...new Set(
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/api/socket/'))
        .map((e) => (e as PerformanceResourceTiming).nextHopProtocol),
    ),
  ])

describe('the chat demo over HTTP/2 in Chromium', () => {
  let server: ChildHandle | undefined
  let browser: Browser | undefined
  let context: BrowserContext | undefined
  const logs: string[] = []

  beforeAll(async () => {
    server = await startChatServer({
      TLS_KEY: join(TEST_DIR, 'support/tls/localhost-key.pem'),
      TLS_CERT: join(TEST_DIR, 'support/tls/localhost-cert.pem'),
      // Streams never end on their own (the Node default; the chat tests' 3 s cuts would free an
      // HTTP/1.1 connection now and then). The same run over HTTP/1.1: six tabs connect, none of
      // them receives a message (their POSTs wait for a connection), the seventh does not load.
      MAX_STREAM_MS: '0',
    })
    browser = await launchChromium()
    // The test certificate is self-signed: this context accepts it.
    context = await browser.newContext({ ignoreHTTPSErrors: true })
  }, 60_000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
  }, 30_000)

  it(`${TABS} tabs of one browser (more than HTTP/1.1's 6 connections per host) all connect and each sees every message once`, async () => {
    expect(server!.url).toMatch(/^https:\/\//)
    const pages: Page[] = []
    try {
      for (let i = 1; i <= TABS; i++) pages.push(await joinChat(context!, server!.url, `tab${i}`, logs))
      for (let i = 0; i < TABS; i++) await say(pages[i]!, `hello from tab${i + 1}`)
      const want = Array.from({ length: TABS }, (_, i) => `hello from tab${i + 1}`).sort()
      for (const page of pages) {
        await expect.poll(async () => (await received(page)).filter((t) => t.startsWith('hello from')).sort(), { timeout: LONG }).toEqual(want)
      }
      // Every tab's POSTs went over HTTP/2.
      for (const page of pages) expect(await protocols(page)).toEqual(['h2'])
    } catch (err) {
      console.log(logs.slice(-40).join('\n'))
      throw err
    }
  }, 180_000)
})
