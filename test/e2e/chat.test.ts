/**
 * Browser end-to-end test of the chat demo (test/apps/chat): the built handler and client,
 * the demo's node:http server in a child process, real Chromium through playwright-core.
 *
 * Two people (two browser contexts) chat in 'lobby'; Bob goes offline while Alice keeps
 * talking and while he sends messages himself; when he comes back every message arrives
 * exactly once, in order, on both sides. MAX_STREAM_MS makes the server end its SSE
 * streams every few seconds, so Bob's next resume runs into the offline network even
 * if Chromium's offline emulation leaves an open stream alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { launchChromium } from '../support/browser.js'
import { outputDir, ROOT } from '../support/paths.js'
import type { ChildHandle } from '../support/processes.js'
import { openChat, say, startChatServer, status } from '../support/chat-page.js'

const LONG = 60_000 // generous: waits end as soon as the condition holds

// --- page helpers -----------------------------------------------------------------------

interface ChatEvent {
  id: string
  from: string
  fromId: string
  text: string
  clientId?: string
}
interface PageMessage extends ChatEvent {
  mine: boolean
  status: 'pending' | 'delivered' | 'failed' | 'received'
}

const received = (page: Page) => page.evaluate(() => (window as any).__chat.received() as ChatEvent[])
const messages = (page: Page) => page.evaluate(() => (window as any).__chat.messages() as PageMessage[])
const texts = (list: { text: string }[]) => list.map((m) => m.text)
const memberNames = (page: Page) => page.getByTestId('member').locator('.member-name').allTextContents()
const deliveredTicks = (page: Page) => page.locator('[data-testid=message][data-status=delivered]').count()

const socketInfo = (page: Page) =>
  page.evaluate(() => {
    const c = (window as any).__chat
    return { id: c.socket.id as string | undefined, recovered: c.socket.recovered as boolean, statusLog: c.state.statusLog as string[] }
  })

// --- the test ---------------------------------------------------------------------------

describe('chat demo in Chromium', () => {
  let server: ChildHandle | undefined
  let browser: Browser | undefined
  const contexts: BrowserContext[] = []
  const logs: string[] = []
  let OUT = ''

  beforeAll(async () => {
    for (const built of ['handler/dist/index.js', 'client/dist/index.js']) {
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`tsc -b handler client\` first`)
    }
    OUT = outputDir('e2e')
    server = await startChatServer()
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
  }, 30_000)

  it('serves the page, the SDK and the inspector dashboard, and refuses path traversal', async () => {
    const base = server!.url
    const page = await fetch(base + '/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const sdk = await fetch(base + '/vendor/client/index.js')
    expect(sdk.status).toBe(200)
    expect(sdk.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(await sdk.text()).toMatch(/connect/)
    const admin = await fetch(base + '/admin', { redirect: 'manual' })
    expect(admin.status).toBe(302)
    // No token in any answer (a DNS-rebinding page could read it): the dashboard asks for it.
    expect(admin.headers.get('location')).toBe('/admin/?endpoint=%2Fapi%2Fsocket')
    const dashboard = await fetch(base + '/admin/?endpoint=%2Fapi%2Fsocket')
    expect(await dashboard.text()).toMatch(/<title>socket-serve inspector<\/title>/)
    const embed = await fetch(base + '/admin/inspector.js')
    expect(embed.headers.get('content-type')).toMatch(/^text\/javascript/)
    for (const bad of ['/vendor/client/%2e%2e/package.json', '/vendor/client/..%2fpackage.json', '/vendor/client/%2e%2e%2f%2e%2e%2fhandler%2fpackage.json']) {
      const res = await fetch(base + bad)
      expect(res.status, bad).toBeGreaterThanOrEqual(400)
    }
    const unknown = await fetch(base + '/api/socket/nope')
    expect(unknown.status).toBe(404)
  })

  it('delivers every message exactly once, in order, across an offline period', async () => {
    const base = server!.url
    try {
      const alice = await openChat(browser!, base, 'Alice', logs)
      contexts.push(alice.context)
      const bob = await openChat(browser!, base, 'Bob', logs)
      contexts.push(bob.context)

      // Each sees the other.
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => memberNames(bob.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect(bob.page.getByTestId('socket-id').textContent()).resolves.toMatch(/\S{8,}/)

      // Alice sends 5: Bob receives each once, in order; Alice sees 5 delivered ticks.
      const first = Array.from({ length: 5 }, (_, i) => `alice ${i + 1}`)
      for (const t of first) await say(alice.page, t)
      await expect.poll(async () => texts(await received(bob.page)), { timeout: LONG }).toEqual(first)
      await expect.poll(() => deliveredTicks(alice.page), { timeout: LONG }).toBe(5)
      await expect.poll(async () => texts(await received(alice.page)), { timeout: LONG }).toEqual(first)
      await alice.page.screenshot({ path: join(OUT, 'chat-alice-online.png') })

      const bobId = (await socketInfo(bob.page)).id
      // Bob goes offline. The server ends streams every 3 s, so Bob's client notices at the latest
      // when it tries to resume.
      await bob.context.setOffline(true)
      await expect
        .poll(() => status(bob.page), { timeout: LONG, message: "Bob's status pill should leave 'connected' while offline" })
        .not.toBe('connected')

      // Alice sends 10 more while Bob is offline; the server accepts them all.
      const second = Array.from({ length: 10 }, (_, i) => `alice ${i + 6}`)
      for (const t of second) await say(alice.page, t)
      await expect.poll(() => deliveredTicks(alice.page), { timeout: LONG }).toBe(15)

      // Bob sends 2 while offline: buffered by the client, shown pending.
      const offline = ['bob offline 1', 'bob offline 2']
      for (const t of offline) await say(bob.page, t)
      await expect(bob.page.locator('[data-testid=message][data-status=pending]').count()).resolves.toBe(2)
      const bobPending = (await messages(bob.page)).filter((m) => m.mine)
      expect(bobPending.map((m) => [m.text, m.status])).toEqual(offline.map((t) => [t, 'pending']))
      expect(texts(await received(bob.page))).toEqual(first) // nothing can reach him
      await bob.page.screenshot({ path: join(OUT, 'chat-bob-offline.png') })

      // Bob comes back: connected again, his 2 go out and get their ticks, and he catches up.
      await bob.context.setOffline(false)
      await expect.poll(() => status(bob.page), { timeout: LONG }).toBe('connected')
      const all = [...first, ...second, ...offline]
      await expect.poll(async () => texts(await received(bob.page)), { timeout: LONG }).toEqual(all)
      await expect.poll(async () => texts(await received(alice.page)), { timeout: LONG }).toEqual(all)

      // Exactly once each on both sides, and the page views agree.
      for (const page of [alice.page, bob.page]) {
        const events = await received(page)
        expect(new Set(events.map((m) => m.id)).size).toBe(all.length)
        const view = await messages(page)
        expect(texts(view)).toEqual(all)
      }
      const bobView = await messages(bob.page)
      expect(bobView.filter((m) => m.mine).map((m) => [m.text, m.status])).toEqual(offline.map((t) => [t, 'delivered']))
      expect(bobView.filter((m) => !m.mine).every((m) => m.from === 'Alice')).toBe(true)
      const aliceView = await messages(alice.page)
      expect(aliceView.filter((m) => m.mine).map((m) => m.status)).toEqual(Array(15).fill('delivered'))
      expect(aliceView.filter((m) => !m.mine).map((m) => [m.from, m.text])).toEqual(offline.map((t) => ['Bob', t]))
      await expect.poll(() => deliveredTicks(bob.page), { timeout: LONG }).toBe(2)

      // The reconnect kept Bob's session: both still see each other, Bob is connected.
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => memberNames(bob.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      expect(await status(bob.page)).toBe('connected')
      const bobAfter = await socketInfo(bob.page)
      expect(bobAfter.id).toBe(bobId)
      expect(bobAfter.recovered).toBe(true)
      expect(bobAfter.statusLog.some((s) => s.startsWith('reconnecting'))).toBe(true)
      expect(bobAfter.statusLog.at(-1)).toBe('connected')

      await bob.page.screenshot({ path: join(OUT, 'chat-bob-final.png') })
      await alice.page.screenshot({ path: join(OUT, 'chat-alice-final.png') })
    } catch (err) {
      await evidence('offline', server, contexts, logs)
      throw err
    }
  }, 240_000)

  it('rejoins the room on a brand-new session when the old one expired while offline', async () => {
    // Sessions without a stream end after 4 s here, are not kept for recovery, and the server sweeps every 500 ms.
    const expiring = await startChatServer({ DISCONNECT_MS: '4000', SWEEP_MS: '500', RECOVERY_MS: '0' })
    const mine: BrowserContext[] = []
    try {
      const alice = await openChat(browser!, expiring.url, 'Alice', logs, 'dev')
      mine.push(alice.context)
      const bob = await openChat(browser!, expiring.url, 'Bob', logs, 'dev')
      mine.push(bob.context)
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await say(alice.page, 'hello before')
      await expect.poll(async () => texts(await received(bob.page)), { timeout: LONG }).toEqual(['hello before'])
      const oldId = (await socketInfo(bob.page)).id

      // Bob vanishes long enough for the server to end his session (Alice sees him leave).
      await bob.context.setOffline(true)
      await expect.poll(() => status(bob.page), { timeout: LONG }).not.toBe('connected')
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice'])
      await say(alice.page, 'while bob was gone')
      await say(bob.page, 'bob after expiry') // buffered by the client
      await expect.poll(() => deliveredTicks(alice.page), { timeout: LONG }).toBe(2)

      // Back online: a new session (new id, not recovered); the page rejoins 'dev' on 'connect'
      // and the buffered message goes out on the new session.
      await bob.context.setOffline(false)
      await expect.poll(() => status(bob.page), { timeout: LONG }).toBe('connected')
      const info = await socketInfo(bob.page)
      expect(info.id).not.toBe(oldId)
      expect(info.recovered).toBe(false)
      await expect.poll(() => memberNames(alice.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => memberNames(bob.page), { timeout: LONG }).toEqual(['Alice', 'Bob'])
      await expect.poll(() => deliveredTicks(bob.page), { timeout: LONG }).toBe(1)
      await expect
        .poll(async () => texts(await received(alice.page)), { timeout: LONG })
        .toEqual(['hello before', 'while bob was gone', 'bob after expiry'])

      await say(alice.page, 'welcome back')
      // What reached the old session before it ended, then everything from the new one joining
      // the room: the message sent to the room between the two sessions is not replayed.
      await expect
        .poll(async () => texts(await received(bob.page)), { timeout: LONG })
        .toEqual(['hello before', 'bob after expiry', 'welcome back'])
      await expect
        .poll(async () => texts(await received(alice.page)), { timeout: LONG })
        .toEqual(['hello before', 'while bob was gone', 'bob after expiry', 'welcome back'])
      await bob.page.screenshot({ path: join(OUT, 'chat-bob-new-session.png') })
    } catch (err) {
      await evidence('expiry', expiring, mine, logs)
      throw err
    } finally {
      for (const c of mine) await c.close().catch(() => {})
      await expiring.stop()
    }
  }, 240_000)
})

/** On failure: screenshots of every open page, then browser logs and the server's output. */
async function evidence(label: string, server: ChildHandle | undefined, contexts: BrowserContext[], logs: string[]) {
  const dir = outputDir('e2e')
  for (const [i, c] of contexts.entries()) {
    for (const p of c.pages()) await p.screenshot({ path: join(dir, `chat-failure-${label}-${i}.png`) }).catch(() => {})
  }
  console.error(
    [`--- browser logs (${label}) ---`, ...logs, '--- server stdout ---', server?.stdout() ?? '', '--- server stderr ---', server?.stderr() ?? ''].join('\n'),
  )
}
