// MAIN world, document_start: installs the global the client SDK reports to, before any page script.
// No imports at runtime beyond the relay core, bundled into one classic script (see vite.config.ts).
import { contentMessage } from './relay/page-filter.js'
import { createPageHook } from './relay/page-hook.js'
import { HOOK_NAME, HOOK_SOURCE } from './relay/protocol.js'

if (!Object.prototype.hasOwnProperty.call(window, HOOK_NAME)) {
  // Events are batched (one post per 50 ms at most, relay/page-hook.ts).
  const hook = createPageHook({ post: (message) => window.postMessage(message, '*') })
  // Not writable: a page (or a second copy of this script) cannot swap the hook the SDK reads.
  Object.defineProperty(window, HOOK_NAME, { value: hook, enumerable: false, writable: false, configurable: false })
  window.addEventListener('message', (event) => {
    if (contentMessage(event, window)) hook.relayReady()
  })
  // The last batch window of a page that navigates away.
  window.addEventListener('pagehide', () => hook.flush())
  // The content script answers with "ready" (it may have loaded before or after us).
  window.postMessage({ source: HOOK_SOURCE, kind: 'hello' }, '*')
}
