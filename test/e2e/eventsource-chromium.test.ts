// Chromium's own EventSource, in a page whose script does `new EventSource(url)`, reads our stream
// through cuts and drops: every message once, in order per log (test/support/standard-sse.ts).
import type { Browser } from 'playwright-core'
import { afterAll } from 'vitest'
import { launchChromium } from '../support/browser.js'
import { standardClientSuite, type Received } from '../support/standard-sse.js'

let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
})

standardClientSuite({
  name: "Chromium's EventSource",
  async open(url) {
    browser ??= await launchChromium()
    const page = await browser.newPage()
    const origin = new URL(url).origin
    // the page (served beside the endpoint, see startPageServer) opens the EventSource itself
    await page.goto(`${origin}/page?src=${encodeURIComponent(url.slice(origin.length))}`)
    return {
      frames: () => page.evaluate(() => (window as unknown as { got: Received[] }).got),
      close: async () => {
        await page.evaluate(() => (window as unknown as { es: { close(): void } }).es.close()).catch(() => {})
        await page.close()
      },
    }
  },
})
