// The inspector's live feed in Chromium (issue 18, item 5), on the chat demo over a real
// redis-server: history from the server on open (a reload keeps what was seen), a search that
// runs on the server by payload, each message's ack result in its row (ok and error), and a
// pause that keeps rows where they are while traffic goes on. Screenshots: test-output/inspector-feed/.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { launchChromium } from '../support/browser.js'
import { startChatServer } from '../support/chat-page.js'
import { outputDir, ROOT } from '../support/paths.js'
import type { ChildHandle } from '../support/processes.js'
import { startRedis, type RedisServer } from '../support/redis.js'

const LONG = 30_000

describe('inspector live feed', () => {
  let redis: RedisServer | undefined
  let server: ChildHandle | undefined
  let browser: Browser | undefined
  let admin: Page
  let dashboard = ''
  let client: ClientSocket | undefined
  const logs: string[] = []
  let OUT = ''

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'inspector-ui/dist/app/index.html'))) throw new Error('inspector-ui is not built: run `npm run build` first')
    OUT = outputDir('inspector-feed')
    redis = await startRedis()
    server = await startChatServer({ REDIS_URL: redis.url })
    browser = await launchChromium()
    const context = await browser.newContext({ viewport: { width: 1400, height: 800 } })
    admin = await context.newPage()
    admin.on('pageerror', (e) => logs.push(`[admin pageerror] ${e.message}`))
    dashboard = (await server.waitForOutput(/inspector dashboard: (\S+)/))[1]!
    await admin.goto(dashboard)
    await admin.getByTestId('ssi-root').waitFor({ timeout: LONG })
    client = connect(`${server.url}/api/socket`, { transports: ['sse'] })
    await new Promise<void>((resolve) => client!.once('connect', () => resolve()))
    await client.emitWithAck('join', { room: 'lobby', name: 'Tess' })
  }, 60_000)

  afterAll(async () => {
    if (logs.length) console.log(logs.join('\n'))
    client?.disconnect()
    await browser?.close().catch(() => {})
    await server?.stop()
    await redis?.stop()
  }, 30_000)

  const rows = () => admin.getByTestId('ssi-feed-item')
  const chatRow = (text: string) => rows().filter({ hasText: text })

  it('loads history on open, searches it on the server, shows ack results, and pauses without moving rows', async () => {
    await admin.getByTestId('ssi-tab-feed').click()
    await expect.poll(() => admin.getByTestId('ssi-feed-status').first().getAttribute('data-status'), { timeout: LONG }).toBe('open')
    // Instances notice an open feed within a few seconds: keep sending until one shows.
    await expect
      .poll(
        async () => {
          await client!.emitWithAck('chat', { text: `warm-up ${Date.now()}` })
          return chatRow('warm-up').count()
        },
        { timeout: LONG, interval: 1000 },
      )
      .toBeGreaterThan(0)

    // An acked message and a refused one: their results sit in their own rows.
    const needle = `okapi-${Date.now()}`
    await client!.emitWithAck('chat', { text: `spotted an ${needle} today` })
    await expect(client!.emitWithAck('chat', { text: '' })).rejects.toMatchObject({ code: 'HANDLER_ERROR' })
    await expect.poll(() => chatRow(needle).count(), { timeout: LONG }).toBe(1)
    const okRow = rows().filter({ has: admin.locator('[data-status="ok"]') }).filter({ hasText: needle })
    expect(await okRow.count()).toBe(1)
    expect(await okRow.getByTestId('ssi-feed-ack').innerText()).toMatch(/^ok\s+[\d.]+\s*(ms|µs|s)/)
    const errorRow = rows().locator('xpath=self::*[@data-event="chat"][@data-ack="error"]')
    await expect.poll(() => errorRow.count(), { timeout: LONG }).toBe(1)
    expect(await errorRow.getByTestId('ssi-feed-ack').innerText()).toContain('HANDLER_ERROR')
    await admin.screenshot({ path: join(OUT, 'feed-acks.png') })

    // A reload keeps what was seen: the rows come back from the server's history (kept minutes,
    // not in the tab), well after 2.5 s.
    await new Promise((r) => setTimeout(r, 3000))
    await admin.goto(dashboard)
    await admin.getByTestId('ssi-tab-feed').click()
    await expect.poll(() => chatRow(needle).count(), { timeout: LONG }).toBe(1)
    expect(await chatRow('warm-up').count()).toBeGreaterThan(0)

    // Search by a payload substring: the server finds the row.
    await admin.getByTestId('ssi-feed-search').fill(needle)
    await admin.getByTestId('ssi-feed-search').press('Enter')
    await expect.poll(() => admin.getByTestId('ssi-feed-search-meta').getAttribute('data-loading'), { timeout: LONG }).toBe('false')
    // The message as it came in (with its ack) and the room emit it made.
    expect(await rows().evaluateAll((els) => els.map((e) => `${e.getAttribute('data-type')}:${e.getAttribute('data-ack') ?? ''}`).sort())).toEqual([
      'message:in:ok',
      'message:out:',
    ])
    expect(await rows().locator('xpath=self::*[@data-type="message:in"]').innerText()).toContain(needle)
    await admin.screenshot({ path: join(OUT, 'feed-search.png') })
    await admin.getByTestId('ssi-feed-search').fill('')
    await expect.poll(() => admin.getByTestId('ssi-feed-shown').count(), { timeout: LONG }).toBe(1)

    // Pause: new traffic is counted, not inserted; the rows on screen stay as they were.
    await admin.getByTestId('ssi-feed-pause').click()
    const shownBefore = await admin.getByTestId('ssi-feed-shown').innerText()
    const domRowsBefore = await rows().count()
    const topBefore = await rows().evaluateAll((els) => els.slice(0, 5).map((e) => e.getAttribute('data-row')))
    for (let i = 0; i < 20; i++) await client!.emitWithAck('chat', { text: `while paused ${i}` })
    await expect.poll(async () => Number(await admin.getByTestId('ssi-feed-pending').innerText()), { timeout: LONG }).toBeGreaterThanOrEqual(20)
    expect(await admin.getByTestId('ssi-feed-shown').innerText()).toBe(shownBefore)
    expect(await rows().count()).toBe(domRowsBefore)
    expect(await rows().evaluateAll((els) => els.slice(0, 5).map((e) => e.getAttribute('data-row')))).toEqual(topBefore)
    expect(await chatRow('while paused').count()).toBe(0)
    await admin.screenshot({ path: join(OUT, 'feed-paused.png') })
    // Resume: the rows that came meanwhile are there.
    await admin.getByTestId('ssi-feed-pause').click()
    await expect.poll(() => chatRow('while paused').count(), { timeout: LONG }).toBeGreaterThan(0)
    await admin.screenshot({ path: join(OUT, 'feed-resumed.png') })

    // Scrolling down to read pauses too: the rows being read stay where they are.
    await admin.getByTestId('ssi-feed-list').locator('.ssi-grid-body').evaluate((el) => el.scrollTo(0, 200))
    await admin.getByTestId('ssi-feed-paused').waitFor({ timeout: LONG })
    const readBefore = await rows().evaluateAll((els) => els.map((e) => `${e.getAttribute('data-row')}@${(e as HTMLElement).style.transform}`))
    for (let i = 0; i < 5; i++) await client!.emitWithAck('chat', { text: `while reading ${i}` })
    await expect.poll(async () => Number(await admin.getByTestId('ssi-feed-pending').innerText()), { timeout: LONG }).toBeGreaterThanOrEqual(5)
    expect(await rows().evaluateAll((els) => els.map((e) => `${e.getAttribute('data-row')}@${(e as HTMLElement).style.transform}`))).toEqual(readBefore)
    await admin.screenshot({ path: join(OUT, 'feed-scrolled.png') })
  }, 120_000)
})
