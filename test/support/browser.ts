// Chromium from Debian's package, driven by playwright-core (never `npx playwright install`).
//
//   const browser = await launchChromium()
//   const page = await browser.newPage()
//   ...
//   await browser.close()
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Flags known to work on these machines (see TOOLING.md). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export function launchChromium(opts: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    ...opts,
    args: [...CHROMIUM_FLAGS, ...(opts.args ?? [])],
  })
}

/**
 * A persistent context with an unpacked extension loaded (MV3). Extensions need `headless: false`
 * in Playwright's terms; `--headless=new` in the flags keeps Chromium itself headless.
 */
export async function launchChromiumWithExtension(
  userDataDir: string,
  extensionDir: string,
  opts: { args?: string[] } = {},
): Promise<{ context: BrowserContext; extensionId: string }> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: false,
    timeout: 30_000,
    args: [
      ...CHROMIUM_FLAGS,
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      ...(opts.args ?? []),
    ],
  })
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }))
  const extensionId = new URL(worker.url()).host
  return { context, extensionId }
}
