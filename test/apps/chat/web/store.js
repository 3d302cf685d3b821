// The page's data, kept outside React: the socket's events land here as they arrive (tests and the
// console read it through window.__chat), and React redraws from it at most once per frame, so a
// busy room costs the page the same at 10,000 messages as at 100.
import { useSyncExternalStore } from 'react'

export const state = {
  name: localStorage.getItem('chat.name') ?? '',
  room: null, // the room we joined (or are joining)
  joinError: '',
  joinsPending: 0, // joins sent (or queued) whose ack has not come back
  messages: new Map(), // room -> [{ id, clientId, from, fromId, text, at, mine, status, echoed }]
  received: [], // every 'chat' event as it arrived, unfiltered (tests count these)
  presence: [], // every presence:join / presence:leave event as it arrived (tests count these)
  members: new Set(), // the ids in state.room, kept by presence events (see members.js)
  names: new Map(), // session id -> name, from join replies and 'profile' events
  sinceJoin: new Map(), // id -> 'join' | 'leave': presence seen while a join was in flight
  typers: new Map(), // session id -> { name, timer }
  statusLog: [], // every status the pill showed, in order (tests read it)
}

let version = 0
let frame = 0
let fallback = 0
const listeners = new Set()

/** Schedules one redraw for everything that changed since the last one. */
export function changed() {
  if (frame) return
  frame = requestAnimationFrame(flush)
  // a hidden tab gets no frames: draw anyway, less often
  fallback = setTimeout(flush, 250)
}

function flush() {
  cancelAnimationFrame(frame)
  clearTimeout(fallback)
  frame = 0
  version++
  for (const listener of listeners) listener()
}

function subscribe(listener) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Re-renders the calling component once per redraw. */
export function useStore() {
  return useSyncExternalStore(subscribe, () => version)
}
