// A page on @socket-serve/client/react, rendered under StrictMode (double effects in dev builds).
// No JSX: vite builds it without a React plugin. Driven by test/e2e/react-hooks.test.ts.
import { createElement as h, StrictMode, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { createSocketHooks, SocketProvider } from '@socket-serve/client/react'
import type { ClientToServer, ServerToClient } from './events.js'

const { useEvent, useEmitWithAck, useConnectionState, useSocket } = createSocketHooks<ServerToClient, ClientToServer>()

function Panel() {
  const state = useConnectionState()
  const socket = useSocket()
  const [news, setNews] = useState<number[]>([])
  const [asked, setAsked] = useState(0)
  useEvent('news', (item) => setNews((list) => [...list, item.n]))
  useEvent('ask', (q, ack) => {
    setAsked((n) => n + 1)
    ack(q.toUpperCase())
  })
  const add = useEmitWithAck('add')
  // Counts effect runs: 2 on the first mount shows StrictMode's double effects are on.
  useEffect(() => {
    const w = window as { __effects?: number }
    w.__effects = (w.__effects ?? 0) + 1
  }, [])
  return h(
    'div',
    null,
    h('p', { 'data-testid': 'state' }, state),
    h('p', { 'data-testid': 'sid' }, socket.id ?? ''),
    h('p', { 'data-testid': 'news' }, news.join(',')),
    h('p', { 'data-testid': 'asked' }, String(asked)),
    h('button', { 'data-testid': 'add', onClick: () => void add.emit({ a: 2, b: 3 }).catch(() => {}) }, 'add'),
    h('button', { 'data-testid': 'add-bad', onClick: () => void add.emit({ a: -1, b: 0 }).catch(() => {}) }, 'add bad'),
    h('p', { 'data-testid': 'reply' }, add.pending ? 'pending' : String(add.reply ?? '')),
    h('p', { 'data-testid': 'error' }, add.error?.message ?? ''),
  )
}

function App() {
  const [on, setOn] = useState(true)
  return h(
    'div',
    null,
    h('button', { 'data-testid': 'toggle', onClick: () => setOn((x) => !x) }, on ? 'unmount' : 'mount'),
    on ? h(SocketProvider, { url: '/api/socket' }, h(Panel)) : null,
  )
}

createRoot(document.getElementById('root')!).render(h(StrictMode, null, h(App)))
