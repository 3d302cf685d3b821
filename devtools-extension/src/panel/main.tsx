// The panel page: one link to the worker for this tab, the page model, and the inspector relay.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createInspectorRelay } from '../relay/inspector-relay.js'
import { createPanelLink } from '../relay/panel-link.js'
import { HOOK_NAME, PANEL_PORT, type HookSummary } from '../relay/protocol.js'
import { App } from './App.js'
import { PanelStore } from './store.js'
import './panel.css'

const tabId = chrome.devtools.inspectedWindow.tabId
const store = new PanelStore()

// Forward-declared: the link delivers inspector replies to the relay, the relay sends through the link.
let relay: ReturnType<typeof createInspectorRelay> | undefined

const link = createPanelLink({
  tabId,
  connect: () => chrome.runtime.connect({ name: PANEL_PORT }),
  reset: (page) => store.reset(page),
  events: (events, dropped) => store.events(events, dropped),
  link: (up) => store.update((s) => (s.linkUp = up)),
  content: (up) => {
    const wasUp = store.contentUp
    store.update((s) => (s.contentUp = up))
    // A (re)connected content script has no inspector feeds running: start ours again.
    if (up && !wasUp) relay?.relisten()
  },
  inspector: (reply) => relay?.handle(reply),
})
relay = createInspectorRelay({ send: (command) => link.send(command) })
link.onReconnect(() => relay?.relisten())

const SUMMARY = `(function(){var h=window[${JSON.stringify(HOOK_NAME)}];return h&&typeof h.summary==='function'?h.summary():null})()`
function readHook(): void {
  chrome.devtools.inspectedWindow.eval<HookSummary | null>(SUMMARY, (...[summary]) => {
    store.update((s) => (s.hookSockets = summary?.sockets ?? []))
  })
}
readHook()
chrome.devtools.network.onNavigated.addListener(() => setTimeout(readHook, 1000))
setInterval(readHook, 5000)

const theme = chrome.devtools.panels.themeName === 'dark' ? 'dark' : 'light'
document.documentElement.dataset.theme = theme

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App store={store} relay={relay} theme={theme} />
  </StrictMode>,
)
