// The chat demo (test/apps/chat) driven from tests: start its server, open a page, join, say.
import { expect } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { ROOT } from './paths.js'
import { freePort } from './ports.js'
import { startProcess, type ChildHandle } from './processes.js'

const LONG = 60_000 // generous: waits end as soon as the condition holds

export const status = (page: Page) => page.getByTestId('status').getAttribute('data-state')

export async function startChatServer(env: Record<string, string> = {}): Promise<ChildHandle> {
  return startProcess(process.execPath, ['test/apps/chat/server.mjs'], {
    cwd: ROOT,
    name: 'chat-server',
    env: { PORT: String(await freePort()), HOST: '127.0.0.1', MAX_STREAM_MS: '3000', ...env },
  })
}

export async function openChat(browser: Browser, base: string, name: string, logs: string[], room = 'lobby') {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } })
  const page = await joinChat(context, base, name, logs, room)
  return { context, page }
}

/** A new tab of `context` on the chat page, joined to `room` as `name` and connected. */
export async function joinChat(context: BrowserContext, base: string, name: string, logs: string[], room = 'lobby'): Promise<Page> {
  const page = await context.newPage()
  page.on('console', (m) => logs.push(`[${name} console.${m.type()}] ${m.text()}`))
  page.on('pageerror', (e) => logs.push(`[${name} pageerror] ${e.message}`))
  await page.goto(base + '/')
  await page.getByTestId('name-input').fill(name)
  await page.getByTestId('room-select').selectOption(room)
  await page.getByTestId('join-button').click()
  await expect.poll(() => status(page), { timeout: LONG }).toBe('connected')
  return page
}

export async function say(page: Page, text: string) {
  await page.getByTestId('message-input').fill(text)
  await page.getByTestId('message-input').press('Enter')
}

