// The devtools page: adds the panel only when the inspected page has the hook with a socket-serve
// client (Vue devtools' habit), checking again after each navigation.
import { HOOK_NAME, type HookSummary } from './relay/protocol.js'

export const PANEL_TITLE = 'socket-serve'

const CHECK = `(function(){var h=window[${JSON.stringify(HOOK_NAME)}];return h&&typeof h.summary==='function'?h.summary():null})()`

let created = false
let timer: ReturnType<typeof setTimeout> | undefined
let checks = 0

function check(): void {
  chrome.devtools.inspectedWindow.eval<HookSummary | null>(CHECK, (...[summary]) => {
    if (created) return
    if (summary && Array.isArray(summary.sockets) && summary.sockets.length > 0) {
      created = true
      chrome.devtools.panels.create(PANEL_TITLE, 'icons/icon-32.png', 'panel.html')
      return
    }
    // The app may connect late: look often at first, then now and then.
    checks++
    timer = setTimeout(check, checks < 20 ? 500 : 3000)
  })
}

check()
chrome.devtools.network.onNavigated.addListener(() => {
  if (created) return
  clearTimeout(timer)
  checks = 0
  check()
})
