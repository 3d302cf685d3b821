// The panel page: one link to the worker for this tab, and the page model. The Server view calls the
// inspector itself (ServerView.tsx).
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createPanelLink } from '../relay/panel-link.js'
import { HOOK_NAME, PANEL_PORT, type HookSummary } from '../relay/protocol.js'
import { App } from './App.js'
import { PanelStore } from './store.js'
import './panel.css'

const tabId = chrome.devtools.inspectedWindow.tabId
const store = new PanelStore()

const link = createPanelLink({
  tabId,
  connect: () => chrome.runtime.connect({ name: PANEL_PORT }),
  reset: (page) => store.reset(page),
  events: (events, dropped) => store.events(events, dropped),
  link: (up) => store.update((s) => (s.linkUp = up)),
  content: (up) => store.update((s) => (s.contentUp = up)),
})

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
    <App store={store} theme={theme} />
  </StrictMode>,
)
