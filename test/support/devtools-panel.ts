// The DevTools extension (devtools-extension/) built and opened in the REAL DevTools panel of a
// headless Chromium (TOOLING.md): --auto-open-devtools-for-tabs opens DevTools for the tab, raw CDP
// on the DevTools front-end shows our panel, and the panel's iframe target is driven over CDP
// (Playwright does not expose DevTools targets).
//
//   const dist = ensureExtensionBuilt()
//   const { context, extensionId } = await launchChromiumWithExtension(dir, dist, { args: devtoolsArgs(port) })
//   ...load a page whose socket-serve client connects...
//   const { devtools, panel } = await openPanel(port, extensionId)
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { attach, listTargets, type CdpSession } from './cdp.js'
import { ROOT } from './paths.js'

/**
 * The extension to test: this repository's, or another checkout's (DEVTOOLS_EXT_ROOT, e.g. main's
 * devtools-extension copied beside its inspector-ui, to measure the same test against older code).
 */
export const EXT_ROOT = process.env.DEVTOOLS_EXT_ROOT ?? join(ROOT, 'devtools-extension')
export const PANEL_TITLE = 'socket-serve' // devtools-extension/src/devtools.ts
const WAIT = 30_000
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Newest mtime under the paths that make the extension (its sources and inspector-ui's). */
function newestSource(root: string): number {
  const roots = ['src', 'public', 'manifest.config.ts', 'vite.config.ts', 'panel.html', 'devtools.html', 'package.json']
    .map((p) => join(root, p))
    .concat(join(root, '..', 'inspector-ui', 'src'))
  let newest = 0
  const visit = (path: string) => {
    if (!existsSync(path)) return
    const info = statSync(path)
    if (info.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name))
    else newest = Math.max(newest, info.mtimeMs)
  }
  roots.forEach(visit)
  return newest
}

/** Builds `<root>/dist` when missing or older than its sources (vite + the zip step, ~10 s); returns it. */
export function ensureExtensionBuilt(root = EXT_ROOT): string {
  const dist = join(root, 'dist')
  const manifest = join(dist, 'manifest.json')
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= newestSource(root)) return dist
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js')
  for (const args of [[vite, 'build', '--logLevel', 'warn'], [join(root, 'scripts', 'zip.mjs')]]) {
    // vitest sets NODE_ENV=test, which would give a development React build.
    const env = { ...process.env, NODE_ENV: 'production' }
    const r = spawnSync(process.execPath, args, { cwd: root, env, encoding: 'utf8', timeout: 90_000 })
    if (r.status !== 0) throw new Error(`extension build failed (${args.join(' ')}):\n${r.stdout}\n${r.stderr}`)
  }
  return dist
}

/** Chromium flags that open DevTools with each tab and let CDP reach its targets. */
export const devtoolsArgs = (port: number) => ['--auto-open-devtools-for-tabs', `--remote-debugging-port=${port}`, '--remote-debugging-address=127.0.0.1']

/** Polls `fn` until it returns something truthy. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = WAIT, everyMs = 150): Promise<T> {
  const end = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await sleep(everyMs)
  }
}

/**
 * Shows our panel in the tab's DevTools (undocked: the front-end's window is all DevTools, a
 * readable screenshot) and attaches to both: `devtools` (the front-end) and `panel` (our iframe,
 * with chrome.devtools defined). The caller closes the sessions.
 */
export async function openPanel(port: number, extensionId: string): Promise<{ devtools: CdpSession; panel: CdpSession }> {
  const frontEnd = await until('the DevTools front-end target', async () => (await listTargets(port)).find((t) => t.url.startsWith('devtools://')))
  const devtools = await attach(frontEnd)
  const panelId = `chrome-extension://${extensionId}${PANEL_TITLE}`
  const legacy = `(await import('./ui/legacy/legacy.js'))`
  await until('our panel to be registered', () =>
    devtools.evaluate<boolean>(`(async () => ${legacy}.InspectorView.InspectorView.instance().tabbedPane.tabs.some((t) => t.id === ${JSON.stringify(panelId)}))()`),
  )
  await devtools.evaluate(`(async () => ${legacy}.DockController.DockController.instance().setDockSide('undocked'))()`).catch(() => {})
  await devtools.evaluate(`(async () => { await ${legacy}.InspectorView.InspectorView.instance().showPanel(${JSON.stringify(panelId)}) })()`)
  const panelTarget = await until('the panel iframe target', async () => (await listTargets(port)).find((t) => t.url === `chrome-extension://${extensionId}/panel.html`))
  const panel = await attach(panelTarget)
  return { devtools, panel }
}

/** A 1280×800 screenshot of the DevTools window (a Web Store screenshot size). */
export async function screenshot(devtools: CdpSession): Promise<Buffer> {
  await devtools.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false })
  await sleep(300)
  const shot = await devtools.send<{ data: string }>('Page.captureScreenshot', { format: 'png' })
  return Buffer.from(shot.data, 'base64')
}
