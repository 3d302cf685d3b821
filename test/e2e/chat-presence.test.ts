/**
 * The chat demo's member list is driven by presence events (issue 16, item 4), across instances:
 * two chat servers share one real redis-server; Alice's page talks to one, Bob's and Carol's to
 * the other. Each page's list starts from its join reply (io.in(room).presence()), then follows
 * presence:join / presence:leave: Alice sees Bob and Carol appear, sees Carol disappear once her
 * vanished session is swept (her network is cut: no goodbye), and Bob once he closes his tab.
 * Every presence event a page receives is counted: each once, in the room's order.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../support/browser.js'
import { openChat, startChatServer } from '../support/chat-page.js'
import { outputDir, ROOT } from '../support/paths.js'
import type { ChildHandle } from '../support/processes.js'
import { startRedis, type RedisServer } from '../support/redis.js'

const LONG = 60_000

interface PresenceLogEntry {
  kind: 'join' | 'leave'
  room: string
  id: string
}

const memberNames = (page: Page) => page.getByTestId('member').locator('.member-name').allTextContents()
const memberCount = (page: Page) => page.getByTestId('member-count').innerText()
const socketId = (page: Page) => page.evaluate(() => (window as any).__chat.socket.id as string)
const presenceLog = (page: Page) => page.evaluate(() => (window as any).__chat.presence() as PresenceLogEntry[])

describe('chat demo: the member list follows presence events across instances', () => {
  let redis: RedisServer | undefined
  const servers: ChildHandle[] = []
  let browser: Browser | undefined
  const contexts: BrowserContext[] = []
  const logs: string[] = []

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'test/apps/chat/dist/index.html'))) throw new Error('the chat page is not built: run `npm run build` first')
    redis = await startRedis()
    // A session with no stream ends after 6 s, checked every 500 ms; an ended session is not kept.
    const env = { REDIS_URL: redis.url, DISCONNECT_MS: '6000', SWEEP_MS: '500', RECOVERY_MS: '0' }
    servers.push(await startChatServer(env), await startChatServer(env))
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    for (const s of servers) await s.stop()
    await redis?.stop()
  }, 30_000)

  it('shows who joins on either instance and drops whoever vanishes or closes the tab', async () => {
    const started = Date.now()
    const [one, two] = servers.map((s) => s.url)
    try {
      const alice = await openChat(browser!, one!, 'Alice', logs)
      contexts.push(alice.context)
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice'])

      // Bob joins through the other instance: Alice's list gains him from the presence event; his
      // own list comes from his join reply.
      const bob = await openChat(browser!, two!, 'Bob', logs)
      contexts.push(bob.context)
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => memberNames(bob.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])

      const carol = await openChat(browser!, two!, 'Carol', logs)
      contexts.push(carol.context)
      for (const page of [alice.page, bob.page, carol.page]) {
        await expect.poll(() => memberNames(page), { timeout: LONG }).toEqual(['Alice', 'Bob', 'Carol'])
      }
      expect(await memberCount(alice.page)).toBe('3')
      const bobId = await socketId(bob.page)
      const carolId = await socketId(carol.page)

      // Carol vanishes (no network, no goodbye): she leaves everyone's list once the sweep ends her session.
      await carol.context.setOffline(true)
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => memberNames(bob.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      const swept = Date.now()

      // Bob closes his tab: he leaves Alice's list (by the page's goodbye, or by the sweep).
      await bob.context.close()
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice'])
      expect(await memberCount(alice.page)).toBe('1')

      // What Alice's page heard about the others: each arrival and departure once, in order.
      const heard = (await presenceLog(alice.page)).filter((e) => e.id === bobId || e.id === carolId)
      expect(heard.map((e) => [e.kind, e.room, e.id])).toEqual([
        ['join', 'lobby', bobId],
        ['join', 'lobby', carolId],
        ['leave', 'lobby', carolId],
        ['leave', 'lobby', bobId],
      ])
      await alice.page.screenshot({ path: join(outputDir('chat-presence'), 'alice-alone.png') })
      console.log(`[chat-presence] ${((Date.now() - started) / 1000).toFixed(1)} s (Carol swept at ${((swept - started) / 1000).toFixed(1)} s)`)
    } catch (err) {
      console.error(['--- browser logs ---', ...logs, ...servers.map((s) => `--- ${s.name} stderr ---\n${s.stderr()}`)].join('\n'))
      throw err
    }
  }, 180_000)
})
