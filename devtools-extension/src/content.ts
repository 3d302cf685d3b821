// ISOLATED world, document_start: relays the hook's window messages to the service worker. It never
// sees an inspector token: the content script runs in the page's renderer, which a hostile page may
// control; the Server view calls the inspector from the panel (panel/ServerView.tsx).
import { createContentRelay } from './relay/content-relay.js'
import { hookMessage } from './relay/page-filter.js'
import { CONTENT_PORT, CONTENT_SOURCE, type ContentPageMessage } from './relay/protocol.js'

const docId = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`

const relay = createContentRelay({
  page: { docId, url: location.href, time: Date.now() },
  connect: () => chrome.runtime.connect({ name: CONTENT_PORT }),
})

const ready: ContentPageMessage = { source: CONTENT_SOURCE, kind: 'ready' }

window.addEventListener('message', (event) => {
  const message = hookMessage(event, window)
  if (!message) return
  if (message.kind === 'hello') window.postMessage(ready, '*')
  else relay.push(message.events, message.dropped)
})
window.postMessage(ready, '*')

// A panel wants the Server view while this page has sent nothing yet (or since a worker restart).
chrome.runtime.onMessage.addListener((message: { kind?: unknown }) => {
  if (message?.kind === 'wake') relay.wake()
})
