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

const hub = createHub({
  store,
  wakeContent: (tabId) => void chrome.tabs.sendMessage(tabId, { kind: 'wake' }).catch(() => {}),
})

chrome.runtime.onConnect.addListener((port) => hub.connect(port))
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
