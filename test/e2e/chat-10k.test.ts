// Issue 18: the demo chat page redrew its whole list per message and hung after ~1,000. Here a
// real client sends 10,000 messages through the chat server to a page in Chromium, which must
// receive them all while keeping a bounded list in the DOM. Screenshot: test-output/chat-10k/.
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { launchChromium } from '../support/browser.js'
import { openChat, startChatServer } from '../support/chat-page.js'
import { outputDir } from '../support/paths.js'
import type { ChildHandle } from '../support/processes.js'

const MESSAGES = 10_000
const BATCH = 500

describe('chat demo at 10,000 messages', () => {
  let server: ChildHandle
  let browser: Browser
  let sender: ClientSocket | undefined
  const logs: string[] = []

  beforeAll(async () => {
    server = await startChatServer()
    browser = await launchChromium()
  }, 60_000)
  afterAll(async () => {
    sender?.disconnect()
    await browser?.close().catch(() => {})
    await server?.stop()
  }, 30_000)

  it('receives every message and keeps the list bounded and the page responsive', async () => {
    const started = Date.now()
    const alice = await openChat(browser, server.url, 'Alice', logs)
    // Long tasks on the page's main thread, for the figure printed below.
    await alice.page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] }
      w.longTasks = []
      new PerformanceObserver((list) => list.getEntries().forEach((e) => w.longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false })
    })
    sender = connect(`${server.url}/api/socket`, { transports: ['sse'] })
    await new Promise<void>((r) => sender!.once('connect', () => r()))
    await sender.emitWithAck('join', { room: 'lobby', name: 'Bob' })
    for (let i = 0; i < MESSAGES; i += BATCH) {
      // emits in one tick travel in one POST; acks say each was stored
      await Promise.all(Array.from({ length: BATCH }, (_, j) => sender!.emitWithAck('chat', { text: `m${i + j}` })))
    }
    const received = () => alice.page.evaluate(() => (window as any).__chat.state.received.length as number)
    await expect.poll(received, { timeout: 90_000, interval: 500 }).toBe(MESSAGES)
    // Every message arrived once, in order.
    const texts = await alice.page.evaluate(() => (window as any).__chat.state.received.map((m: { text: string }) => m.text) as string[])
    expect(texts).toEqual(Array.from({ length: MESSAGES }, (_, i) => `m${i}`))

    // The DOM holds the newest 200 and a count of the rest; the newest is the last one shown.
    await expect.poll(() => alice.page.getByTestId('earlier-messages').innerText()).toBe(`${MESSAGES - 200} earlier messages not shown`)
    const shown = alice.page.locator('[data-testid=message]')
    expect(await shown.count()).toBe(200)
    expect(await shown.last().innerText()).toContain(`m${MESSAGES - 1}`)
    // Still responsive: a frame comes, typing works.
    await alice.page.getByTestId('message-input').fill('still here')
    expect(await alice.page.getByTestId('message-input').inputValue()).toBe('still here')
    const longTasks = await alice.page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks)
    console.log(
      `[chat-10k] ${MESSAGES} messages in ${((Date.now() - started) / 1000).toFixed(1)} s; page long tasks: ${longTasks.length}, ` +
        `max ${Math.round(Math.max(0, ...longTasks))} ms`,
    )
    await alice.page.screenshot({ path: join(outputDir('chat-10k'), 'chat-10000.png') })
    await alice.context.close()
  }, 180_000)
})
