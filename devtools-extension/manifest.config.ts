import { defineManifest } from '@crxjs/vite-plugin'
import pkg from './package.json' with { type: 'json' }

export default defineManifest({
  manifest_version: 3,
  name: 'socket-serve DevTools',
  short_name: 'socket-serve',
  description: "Inspect a page's socket-serve connections: frames, acks, states, and the server's inspector.",
  version: pkg.version,
  minimum_chrome_version: '111', // content scripts in the MAIN world
  icons: { 16: 'icons/icon-16.png', 32: 'icons/icon-32.png', 48: 'icons/icon-48.png', 128: 'icons/icon-128.png' },
  devtools_page: 'devtools.html',
  background: { service_worker: 'src/background.ts', type: 'module' },
  // storage: the inspector token and the worker's per-tab backlog (storage.session).
  permissions: ['storage'],
  // The panel calls the inspector API itself (its token never enters the page's renderer), on any
  // server a page may use; the worker reads the inspected tab's URL (chrome.tabs.get) for its origin.
  // Content scripts on <all_urls> already ask for as much at install.
  host_permissions: ['<all_urls>'],
  content_scripts: [
    {
      // The hook must exist before the page's scripts run, in the page's own world.
      matches: ['<all_urls>'],
      js: ['src/hook.ts'],
      run_at: 'document_start',
      world: 'MAIN',
    },
    {
      matches: ['<all_urls>'],
      js: ['src/content.ts'],
      run_at: 'document_start',
    },
  ],
})
