/**
 * The DNS-rebinding attack of issue 15, for real: Chromium resolves evil.example to 127.0.0.1
 * (--host-resolver-rules), as a rebinding DNS server would once the attacker's page is loaded.
 * The attacker's page (served as the document of http://evil.example:PORT, the demo's own port)
 * then talks to the chat demo as if it were same-origin: it tries to read the inspector token
 * from the demo's /admin, to list the sessions, to emit to everyone and to open a session.
 * Before the Host check every step worked; now each is refused, and a real chat user on
 * http://127.0.0.1:PORT sees nothing of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext } from 'playwright-core'
import { launchChromium } from '../support/browser.js'
import { openChat, startChatServer } from '../support/chat-page.js'
import type { ChildHandle } from '../support/processes.js'

const WAIT = 30_000

const ATTACK_SCRIPT = `
window.attack = async () => {
  const out = {}
  // The demo's /admin used to redirect to a URL carrying the token; a same-origin frame reads it.
  const frame = document.createElement('iframe')
  frame.src = '/admin'
  document.body.append(frame)
  await new Promise((r) => { frame.onload = r; setTimeout(r, 5000) })
  try { out.token = new URLSearchParams(frame.contentWindow.location.hash.slice(1)).get('token') } catch (e) { out.token = null }
  // Failing that, the demo's old fixed default.
  const auth = { authorization: 'Bearer ' + (out.token || 'demo-inspector-token') }
  const snap = await fetch('/api/socket/_inspector/snapshot', { headers: auth })
  out.snapshot = snap.status
  out.snapshotBody = (await snap.text()).slice(0, 300)
  const query = await fetch('/api/socket/_inspector/snapshot?token=' + encodeURIComponent(out.token || 'demo-inspector-token'))
  out.snapshotByQuery = query.status
  const emit = await fetch('/api/socket/_inspector/emit', {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ to: { all: true }, event: 'chat', data: { id: 'pwned', room: 'lobby', from: 'evil', text: 'pwned', at: Date.now() } }),
  })
  out.emit = emit.status
  const connect = await fetch('/api/socket/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  out.connect = connect.status
  out.connectBody = (await connect.text()).slice(0, 300)
  return out
}`

describe('DNS rebinding against the chat demo', () => {
  let server: ChildHandle | undefined
  let browser: Browser | undefined
  const contexts: BrowserContext[] = []
  const logs: string[] = []

  beforeAll(async () => {
    server = await startChatServer()
    browser = await launchChromium({ args: ['--host-resolver-rules=MAP evil.example 127.0.0.1'] })
  }, 60_000)

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {})
    await browser?.close().catch(() => {})
    await server?.stop()
    if (logs.length) console.log(logs.join('\n'))
  }, 30_000)

  it('a page on evil.example resolving to 127.0.0.1 reads no token, lists no session, emits nothing, connects nothing', async () => {
    const port = new URL(server!.url).port
    // A real user in the lobby, on the demo's own origin.
    const victim = await openChat(browser!, server!.url, 'victim', logs)
    contexts.push(victim.context)

    const context = await browser!.newContext()
    contexts.push(context)
    const page = await context.newPage()
    page.on('pageerror', (e) => logs.push(`[attacker pageerror] ${e.message}`))
    // After the rebinding, the attacker's script runs in the origin http://evil.example:PORT and
    // the name leads to 127.0.0.1:PORT, the demo. (The document is any page the demo answers there;
    // the script is the attacker's, added as it would have been loaded before the DNS switched.)
    await page.goto(`http://evil.example:${port}/rebound.html`)
    expect(await page.evaluate(() => location.origin)).toBe(`http://evil.example:${port}`)
    await page.addScriptTag({ content: ATTACK_SCRIPT })
    // (An error thrown in the page is rethrown as a plain message: its stack names the page's URL.)
    const result = (await page.evaluate(() => (window as any).attack().catch((e: Error) => ({ thrown: String(e) })))) as Record<string, unknown>
    logs.push(`attack: ${JSON.stringify(result)}`)

    expect(result.token).toBeFalsy()
    expect(result.snapshot).toBe(403)
    expect(result.snapshotBody).not.toContain('"sessions"')
    expect(result.snapshotByQuery).toBe(403)
    expect(result.emit).toBe(403)
    expect(result.connect).toBe(403)
    expect(JSON.parse(result.connectBody as string).error.code).toBe('FORBIDDEN')

    // The victim saw nothing: its chat still has no message from "evil".
    await victim.page.waitForTimeout(500)
    expect(await victim.page.evaluate(() => (window as any).__chat.received().filter((m: any) => m.text === 'pwned').length)).toBe(0)
    // The same page on the demo's own origin is served (the defence is the Host, not the page).
    const own = await context.newPage()
    await own.goto(server!.url + '/')
    const status = await own.evaluate(async () => (await fetch('/api/socket/connect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status)
    expect(status).toBe(200)
  }, 90_000)
})
