/**
 * The DevTools extension (devtools-extension/) in a real Chromium, against the live chat demo, in
 * the REAL DevTools panel (TOOLING.md): --auto-open-devtools-for-tabs opens DevTools for the tab,
 * raw CDP on the DevTools front-end shows our panel, and the panel's iframe target is read and
 * clicked over CDP (Playwright does not expose DevTools targets).
 *
 * The page sends 3 chat messages; Bob (a Node client of the same server) sends 2 more. The panel's
 * counts must match what the page itself recorded (window.__chat), and its Server view (the
 * inspector-ui tree over the relay) must list the page's own session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import type { BrowserContext, Page } from 'playwright-core'
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launchChromiumWithExtension } from '../support/browser.js'
import { attach, listTargets, type CdpSession } from '../support/cdp.js'
import { say, startChatServer, status } from '../support/chat-page.js'
import { devtoolsArgs, ensureExtensionBuilt, EXT_ROOT, openPanel, screenshot, sleep, until } from '../support/devtools-panel.js'
import { outputDir, ROOT } from '../support/paths.js'
import { freePort } from '../support/ports.js'
import type { ChildHandle } from '../support/processes.js'

const TOKEN = 'devtools-e2e-token'
const WAIT = 30_000

describe('DevTools extension in the real DevTools panel', () => {
  let server: ChildHandle | undefined
  let context: BrowserContext | undefined
  let bob: ClientSocket | undefined
  let userDataDir = ''
  let extensionDist = ''
  const sessions: CdpSession[] = []
  const logs: string[] = []
  const OUT = outputDir('devtools')

  beforeAll(async () => {
    for (const built of ['handler/dist/index.js', 'client/dist/index.js']) {
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`tsc -b handler client\` first`)
    }
    const started = Date.now()
    extensionDist = ensureExtensionBuilt()
    logs.push(`extension ready in ${Date.now() - started} ms`)
    server = await startChatServer({ INSPECTOR_TOKEN: TOKEN, MAX_STREAM_MS: '60000' })
  }, 120_000)

  afterAll(async () => {
    for (const s of sessions) s.close()
    bob?.disconnect()
    await context?.close().catch(() => {})
    await server?.stop()
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
    writeFileSync(join(OUT, 'log.txt'), logs.join('\n') + '\n')
  })

  it('shows the page frames, acks and its server session', async () => {
    const base = server!.url
    const port = await freePort()
    userDataDir = mkdtempSync(join(tmpdir(), 'ss-devtools-'))
    const launched = await launchChromiumWithExtension(userDataDir, extensionDist, { args: devtoolsArgs(port) })
    context = launched.context
    const { extensionId } = launched
    const page: Page = context.pages()[0] ?? (await context.newPage())
    await page.setViewportSize({ width: 1100, height: 720 })
    page.on('console', (m) => logs.push(`[page console.${m.type()}] ${m.text()}`))
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`))

    // The page: join the lobby, send 3 messages, wait for their acks (the ✓ ticks).
    await page.goto(base + '/')
    await page.getByTestId('name-input').fill('ada')
    await page.getByTestId('join-button').click()
    await expect.poll(() => status(page), { timeout: WAIT }).toBe('connected')
    for (const text of ['one', 'two', 'three']) await say(page, text)
    await expect.poll(() => page.locator('[data-testid=message][data-status=delivered]').count(), { timeout: WAIT }).toBe(3)

    // Bob, a Node client in the same room, sends 2: the page receives more than it sent.
    bob = connect(`${base}/api/socket`)
    await new Promise<void>((resolve, reject) => {
      bob!.emit('join', { room: 'lobby', name: 'bob' }, (reply: unknown) => (reply instanceof Error ? reject(reply) : resolve()))
    })
    for (const text of ['hi ada', 'bye ada']) await bob.emitWithAck('chat', { text, clientId: `bob-${text}` })
    await expect.poll(() => page.evaluate(() => (window as any).__chat.received().length), { timeout: WAIT }).toBe(5)
    const pageSid = await page.evaluate(() => (window as any).__chat.socket.id as string)
    const received = await page.evaluate(() => (window as any).__chat.received().length as number)

    // DevTools opened with the tab; the devtools page adds our panel once it sees the hook.
    const { devtools, panel } = await openPanel(port, extensionId)
    sessions.push(devtools, panel)
    expect(await panel.evaluate<string>('typeof chrome.devtools')).toBe('object')

    const q = (selector: string) => JSON.stringify(selector)
    const dataset = (selector: string) => panel.evaluate<Record<string, string>[]>(`[...document.querySelectorAll(${q(selector)})].map((e) => ({ ...e.dataset }))`)

    // "This page": per-event counts match what the page recorded.
    const chat = await until('chat counts in the panel', async () => {
      const row = (await dataset('[data-testid=event-count][data-event=chat]'))[0]
      return row && Number(row.sent) === 3 && Number(row.received) === received ? row : undefined
    })
    expect(chat).toMatchObject({ sent: '3', received: String(received) })
    expect(received).toBe(5)

    // The connection carries the page's session id and is connected.
    const [connection] = await dataset('[data-testid=connection]')
    expect(connection).toMatchObject({ state: 'connected', sid: pageSid })

    // Ack latency: the page's 3 chat emits and its join were acked.
    const acks = await dataset('[data-testid=ack-stat][data-direction=client]')
    expect(acks.find((a) => a.event === 'chat')?.count).toBe('3')
    expect(acks.find((a) => a.event === 'join')?.count).toBe('1')

    // The frame list, filtered by event name and direction, has the same counts.
    const setInput = (selector: string, value: string) =>
      panel.evaluate(`(() => {
        const el = document.querySelector(${q(selector)})
        const proto = el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype
        Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, ${q(value)})
        el.dispatchEvent(new Event(el instanceof HTMLSelectElement ? 'change' : 'input', { bubbles: true }))
      })()`)
    const rows = (selector: string) => panel.evaluate<number>(`document.querySelectorAll(${q(selector)}).length`)
    await setInput('[data-testid=filter]', 'chat')
    await until('3 chat frames sent', async () => (await rows('[data-testid=frame-row][data-event=chat][data-direction=out]')) === 3)
    await until(`${received} chat frames received`, async () => (await rows('[data-testid=frame-row][data-event=chat][data-direction=in]')) === received)
    expect(await rows('[data-testid=frame-row]:not([data-event=chat])')).toBe(0)
    await setInput('[data-testid=direction]', 'out')
    await until('only sent frames', async () => (await rows('[data-testid=frame-row]')) === 3)
    await setInput('[data-testid=direction]', 'all')
    await setInput('[data-testid=filter]', '')

    // The payload viewer shows a received chat's data.
    await panel.evaluate(`[...document.querySelectorAll('[data-testid=frame-row][data-event=chat][data-direction=in]')].at(-1).click()`)
    const payload = await until('the payload viewer', () => panel.evaluate<string>(`document.querySelector('[data-testid=payload] pre')?.textContent`))
    expect(payload).toContain('bye ada')
    // ...and a sent one's: the page's own text, as the client encoded it.
    await panel.evaluate(`[...document.querySelectorAll('[data-testid=frame-row][data-event=chat][data-direction=out]')].at(-1).click()`)
    await until('the sent payload', async () => (await panel.evaluate<string>(`document.querySelector('[data-testid=payload] pre')?.textContent ?? ''`)).includes('three'))

    // The service worker is stopped (as Chrome does when idle): the panel and the page's relay
    // reconnect, the next message shows up, and nothing is shown twice.
    const worker = (await listTargets(port)).find((t) => t.type === 'service_worker' && t.url.includes(extensionId))
    expect(worker).toBeDefined()
    // The running instance is marked: a worker Chrome restarts at once (a port reconnecting wakes
    // it) may keep its target id, so "stopped" is the target gone or the mark gone.
    const before = await attach(worker!)
    await before.evaluate('globalThis.__e2eInstance = 1')
    before.close()
    const closed = await fetch(`http://127.0.0.1:${port}/json/close/${worker!.id}`)
    expect(closed.ok).toBe(true)
    await until('the worker to stop', async () => {
      const target = (await listTargets(port)).find((t) => t.id === worker!.id)
      if (!target) return true
      const now = await attach(target, 3_000)
      try {
        return (await now.evaluate<number | undefined>('globalThis.__e2eInstance')) !== 1
      } finally {
        now.close()
      }
    })
    await until('the panel to lose its link', async () => (await dataset('[data-testid=relay-status]'))[0]?.link === 'false', 5_000).catch(() => {
      logs.push('the panel reconnected before we looked') // fine: it is quick
    })
    await say(page, 'four')
    await expect.poll(() => page.locator('[data-testid=message][data-status=delivered]').count(), { timeout: WAIT }).toBe(4)
    const receivedAfter = await page.evaluate(() => (window as any).__chat.received().length as number)
    await until('the counts after the worker restart', async () => {
      const row = (await dataset('[data-testid=event-count][data-event=chat]'))[0]
      return row && Number(row.sent) === 4 && Number(row.received) === receivedAfter
    })
    await setInput('[data-testid=filter]', 'chat')
    expect(await rows('[data-testid=frame-row][data-event=chat][data-direction=out]')).toBe(4)
    await setInput('[data-testid=filter]', '')
    expect((await dataset('[data-testid=relay-status]'))[0]).toMatchObject({ link: 'true', content: 'true' })

    const shoot = async (file: string) => writeFileSync(join(OUT, file), await screenshot(devtools))
    await shoot('this-page.png')
    if (process.env.UPDATE_DOCS_SCREENSHOT === '1') copyFileSync(join(OUT, 'this-page.png'), join(EXT_ROOT, 'docs', 'panel.png'))

    // "Server": the token once, then the inspector tree opens on this page's own session (it renders
    // in a shadow root, isolated from the panel's styles: read inside it).
    await panel.evaluate(`document.querySelector('[data-testid=view-server]').click()`)
    await until('the token form', () => panel.evaluate<boolean>(`!!document.querySelector('[data-testid=token-input]')`))
    await setInput('[data-testid=token-input]', TOKEN)
    await panel.evaluate(`document.querySelector('[data-testid=token-save]').click()`)
    const inInspector = (selector: string) => `document.querySelector('[data-ssi-host]')?.shadowRoot?.querySelector(${JSON.stringify(selector)})`
    await until('the page session in the Server view', () =>
      panel.evaluate<boolean>(`(${inInspector('[data-testid=ssi-sessions-grid]')}?.innerText ?? '').includes(${q(pageSid.slice(0, 8))})`),
    )
    await until('the Server view opened on the page session', () =>
      panel.evaluate<boolean>(`${inInspector('[data-testid=ssi-session-detail]')}?.getAttribute('data-sid') === ${q(pageSid)}`),
    )
    // Kept for this page's origin (from the browser's record of the tab, not from the page) and endpoint.
    const tokens = () => panel.evaluate<Record<string, string>>(`chrome.storage.local.get('inspectorTokensByOrigin').then((r) => r.inspectorTokensByOrigin)`)
    const origin = new URL(base).origin
    expect(await tokens()).toEqual({ [`${origin} ${base}/api/socket`]: TOKEN })
    await shoot('server.png')

    // Another origin (same server, named localhost) claims the first page's endpoint: it gets no
    // token. (Before, tokens were keyed by the claimed endpoint and handed to the page's content script.)
    const other = `http://localhost:${new URL(base).port}`
    await page.goto(`${other}/no-client-here.html`) // the demo's 404: a document with no client of its own
    await page.evaluate((claimed) => {
      const hook = (window as any).__SOCKET_SERVE_DEVTOOLS_HOOK__
      hook.emit('state', { socket: 99, url: claimed, from: 'connecting', to: 'connected', sid: 'claimed' })
    }, `${base}/api/socket/connect`)
    await until('the claimed endpoint in the Server view', async () => {
      const shown = await panel.evaluate<string | undefined>(`document.querySelector('[data-testid=server-view]')?.dataset.endpoint`)
      if (shown !== `${base}/api/socket`) logs.push(`server view endpoint: ${shown}; ${await panel.evaluate<string>(`document.body.innerText.slice(0, 200)`)}`)
      return shown === `${base}/api/socket`
    })
    await until('the token form for the other origin', () => panel.evaluate<boolean>(`document.querySelector('[data-testid=token-origin]')?.textContent === ${q(other)}`))
    expect(await panel.evaluate<boolean>(`(document.querySelector('[data-testid=server-view]')?.innerText ?? '').includes(${q(pageSid)})`)).toBe(false)
    expect(await tokens()).toEqual({ [`${origin} ${base}/api/socket`]: TOKEN })

    // The same page pushes 200 MB of frames through the hook: the worker keeps a bounded amount
    // for this tab (4 MB in memory, 256 KB persisted), the newest, and counts the rest as dropped.
    const flooded = Date.now()
    await page.evaluate(() => {
      const hook = (window as any).__SOCKET_SERVE_DEVTOOLS_HOOK__
      const chunk = 'x'.repeat(200 * 1024)
      for (let i = 1; i <= 1000; i++) hook.emit('frame:in', { socket: 99, event: 'flood', data: chunk, n: i })
    })
    const sw = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'))
    const held = () =>
      sw.evaluate(async () => {
        const hub = (globalThis as any).socketServeHub
        // The extension worker's own global (the test's tsconfig has no chrome types).
        const chrome = (globalThis as any).chrome
        const tabs: { id: number }[] = await chrome.tabs.query({})
        const perTab = tabs.map((t) => ({ id: t.id, bytes: hub.bytes(t.id), last: hub.log(t.id)?.events.at(-1)?.payload?.n, dropped: hub.log(t.id)?.dropped ?? 0 }))
        return { perTab, session: await chrome.storage.session.getBytesInUse(null) }
      })
    const settled = await until('the flood to reach the worker', async () => {
      const h = await held()
      return h.perTab.some((t: { last?: number }) => t.last === 1000) ? h : undefined
    }, 90_000)
    logs.push(`flood of 200 MB relayed in ${Date.now() - flooded} ms; worker holds ${JSON.stringify(settled)}`)
    for (const t of settled.perTab) expect(t.bytes).toBeLessThanOrEqual(4 * 1024 * 1024)
    const floodTab = settled.perTab.find((t: { last?: number }) => t.last === 1000)!
    expect(floodTab.dropped).toBeGreaterThan(900)
    await sleep(500) // the batched persistence
    expect((await held()).session).toBeLessThanOrEqual(2 * 256 * 1024)
  }, 200_000)
})
