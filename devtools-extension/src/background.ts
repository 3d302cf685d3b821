// The module service worker: pairs content and panel ports by tab (relay/hub.ts). Listeners are
// registered synchronously so a worker woken by a connect sees it.
import { createHub, type HubStore, type TabLog } from './relay/hub.js'

const PREFIX = 'tab:'

// storage.session survives worker restarts (not browser restarts): the backlog of a restarted worker.
const store: HubStore = {
  async load() {
    const all = (await chrome.storage.session.get(null)) as Record<string, TabLog>
    const logs = new Map<number, TabLog>()
    for (const [key, log] of Object.entries(all)) if (key.startsWith(PREFIX)) logs.set(Number(key.slice(PREFIX.length)), log)
    return logs
  },
  save: (tabId, log) => chrome.storage.session.set({ [PREFIX + tabId]: log }),
  remove: (tabId) => chrome.storage.session.remove(PREFIX + tabId),
}

/**
 * A sender is our own DevTools panel: this extension, its panel page, and no real tab (Chrome gives
 * DevTools a tab of id -1). Chrome sets all three; a content script's sender is the page's URL in a
 * real tab, whatever name its port claims.
 */
function isOwnPanel(sender: chrome.runtime.MessageSender | undefined): boolean {
  return (
    !!sender &&
    sender.id === chrome.runtime.id &&
    (sender.tab?.id ?? -1) < 0 &&
    sender.url?.split(/[?#]/)[0] === chrome.runtime.getURL('panel.html')
  )
}

const hub = createHub({
  store,
  wakeContent: (tabId) => void chrome.tabs.sendMessage(tabId, { kind: 'wake' }).catch(() => {}),
  isPanel: (sender) => isOwnPanel(sender as chrome.runtime.MessageSender | undefined),
})
// For tests and debugging (the worker's console): what the hub holds.
;(globalThis as { socketServeHub?: typeof hub }).socketServeHub = hub

chrome.runtime.onConnect.addListener((port) => hub.connect(port))

// The panel asks for the inspected tab's origin: the browser's record of the tab's URL, not anything
// the page says. Inspector tokens are kept per page origin (panel/tokens.ts).
chrome.runtime.onMessage.addListener((message: { kind?: unknown; tabId?: unknown }, sender, reply) => {
  if (message?.kind !== 'tab-origin' || !isOwnPanel(sender) || typeof message.tabId !== 'number') return
  chrome.tabs.get(message.tabId).then(
    (tab) => reply({ origin: originOf(tab.url) }),
    () => reply({ origin: undefined }),
  )
  return true // answers asynchronously
})

function originOf(url: string | undefined): string | undefined {
  try {
    const u = new URL(url ?? '')
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined
  } catch {
    return undefined
  }
}
chrome.tabs.onRemoved.addListener((tabId) => hub.forgetTab(tabId))

// Tabs closed while the worker was asleep left their logs behind.
void hub.ready.then(async () => {
  const open = new Set((await chrome.tabs.query({})).map((t) => t.id))
  const all = await chrome.storage.session.get(null)
  for (const key of Object.keys(all)) {
    const id = Number(key.slice(PREFIX.length))
    if (key.startsWith(PREFIX) && !open.has(id)) hub.forgetTab(id)
  }
})
