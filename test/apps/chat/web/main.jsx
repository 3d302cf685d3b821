// socket-serve chat: a small React app on @socket-serve/client/react (SocketProvider, useSocket,
// useEvent, useConnectionState, useEmitWithAck), built by vite into ../dist (build.mjs) and served
// by ../server.mjs. The data lives in store.js; components draw it at most once per frame.
import { memo, StrictMode, useEffect, useLayoutEffect, useRef, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { SocketProvider, useConnectionState, useEmitWithAck, useEvent, useSocket } from '@socket-serve/client/react'
import { changed, state, useStore } from './store.js'
import { applyJoinReply, applyPresence, applyProfile, memberList, resetMembers } from './members.js'
import { ackError, addOwn, addReceived, ordered } from './messages.js'

const ROOMS = ['lobby', 'random', 'dev']
const SHOWN = 200 // messages in the DOM; earlier ones are counted above them
// Joins and messages wait for their ack however long the page is offline (the SDK buffers them).
const NO_TIMEOUT = { timeout: Infinity }

function Chat() {
  useStore()
  const socket = useSocket()
  const joinEmit = useEmitWithAck('join')
  const chatEmit = useEmitWithAck('chat')

  // For tests and the console: the socket, the messages of the current room, every event received.
  window.__chat ??= {
    socket,
    messages: () => ordered(state.room).map((m) => ({ ...m })),
    received: () => state.received.map((m) => ({ ...m })),
    presence: () => state.presence.map((e) => ({ ...e })),
    members: () => memberList(),
    state,
  }

  function join(room, name) {
    if (room !== state.room) resetMembers()
    state.room = room
    state.name = name
    state.joinsPending++
    changed()
    joinEmit
      .emit({ room, name }, NO_TIMEOUT)
      .then(
        (reply) => {
          state.joinsPending--
          state.joinError = ''
          applyJoinReply(reply)
        },
        (err) => {
          state.joinsPending--
          state.joinError = ackError(err)
        },
      )
      .finally(changed)
  }

  function send(text) {
    const msg = addOwn(text)
    changed()
    chatEmit
      .emit({ text, clientId: msg.clientId, room: msg.room, name: state.name }, NO_TIMEOUT)
      .then(
        (reply) => {
          msg.status = 'delivered'
          if (reply?.id) msg.id = reply.id
        },
        (err) => {
          msg.status = 'failed'
          msg.error = ackError(err)
        },
      )
      .finally(changed)
  }

  // A reconnect that kept the session kept its room too; a brand-new session (after expiry) has
  // none, so join again, unless a join is still queued: the client sends that one on this session.
  useEvent('connect', () => {
    if (state.room && socket.recovered === false && state.joinsPending === 0) join(state.room, state.name)
  })
  useEvent('chat', (m) => {
    addReceived(m, socket.id)
    typingStopped(m.fromId)
    changed()
  })
  useEvent('presence:join', (e) => {
    applyPresence('join', e)
    changed()
  })
  useEvent('presence:leave', (e) => {
    applyPresence('leave', e)
    typingStopped(e?.member?.id)
    changed()
  })
  useEvent('profile', (e) => {
    applyProfile(e)
    changed()
  })
  useEvent('typing', ({ id, name } = {}) => {
    if (!id || id === socket.id) return
    clearTimeout(state.typers.get(id)?.timer)
    state.typers.set(id, { name, timer: setTimeout(() => typingStopped(id), 3000) })
    changed()
  })

  return (
    <div className="app" data-testid="app">
      <header className="topbar">
        <div className="brand">
          <span className="logo" aria-hidden="true"></span>
          <span>
            socket-serve <b>chat</b>
          </span>
        </div>
        <StatusPill />
      </header>

      <aside className="sidebar">
        <JoinForm onJoin={join} />
        <section className="card">
          <h2>Rooms</h2>
          <ul className="rooms" data-testid="room-list">
            {ROOMS.map((room) => (
              <li key={room}>
                <button
                  type="button"
                  data-room={room}
                  className={room === state.room ? 'active' : undefined}
                  onClick={() => {
                    if (room === state.room) return
                    if (state.name) join(room, state.name)
                    else document.querySelector('[data-testid=name-input]')?.focus()
                  }}
                >
                  # {room}
                </button>
              </li>
            ))}
          </ul>
        </section>
        <Members />
      </aside>

      <main className="chat">
        <div className="chat-head">
          <h1 data-testid="room-title">{state.room ? `# ${state.room}` : 'Not in a room yet'}</h1>
          <Typing />
        </div>
        <MessageList />
        <Composer onSend={send} />
      </main>

      <Footer />
    </div>
  )
}

function typingStopped(id) {
  if (!state.typers.has(id)) return
  clearTimeout(state.typers.get(id).timer)
  state.typers.delete(id)
  changed()
}

// ---------------------------------------------------------------------------
// Connection status: connected / reconnecting (attempt n) / offline
// ---------------------------------------------------------------------------

function StatusPill() {
  const socket = useSocket()
  const connection = useConnectionState() // 'connecting' | 'connected' | 'disconnected'
  const [status, setStatus] = useState({ kind: 'connecting', text: 'connecting…', title: '' })
  const attempt = useRef(0)
  const show = (kind, text, title = '') => {
    setStatus({ kind, text, title })
    if (state.statusLog.at(-1) !== text) state.statusLog.push(text)
  }
  useEvent('connect', () => {
    attempt.current = 0
    show('connected', 'connected', socket.recovered === false ? 'new session' : 'session kept')
  })
  useEvent('disconnect', (reason) => {
    const final = reason === 'io client disconnect' || reason === 'io server disconnect'
    show(final ? 'offline' : 'reconnecting', final ? 'offline' : 'reconnecting…', String(reason ?? ''))
  })
  useEvent('reconnect_attempt', (n) => {
    attempt.current = typeof n === 'number' ? n : attempt.current + 1
    show('reconnecting', `reconnecting (attempt ${attempt.current})`)
  })
  useEvent('reconnect', () => show('connected', 'connected'))
  useEvent('connect_error', (err) => {
    // During a reconnect sequence the next reconnect_attempt updates the pill; otherwise we're offline.
    if (attempt.current === 0) show('offline', 'offline', err?.message ?? String(err))
    else setStatus((s) => ({ ...s, title: err?.message ?? String(err) }))
  })
  useEvent('reconnect_failed', () => show('offline', 'offline · retry', 'gave up reconnecting: click to retry'))
  useEffect(() => {
    const online = () => !socket.active && socket.connect()
    window.addEventListener('online', online)
    return () => window.removeEventListener('online', online)
  }, [socket])
  // The events say why; the connection state has the last word on whether we are connected.
  const shown = connection === 'connected' ? { ...status, kind: 'connected', text: 'connected' } : status.kind === 'connected' ? { kind: 'connecting', text: 'connecting…', title: '' } : status
  return (
    <span
      className={`pill pill--${shown.kind}`}
      data-testid="status"
      data-state={shown.kind}
      role="status"
      aria-live="polite"
      title={shown.title}
      // after 'reconnect_failed' the pill is a retry button
      onClick={() => !socket.active && socket.connect()}
    >
      {shown.text}
    </span>
  )
}

// ---------------------------------------------------------------------------
// Joining, members, typing
// ---------------------------------------------------------------------------

function JoinForm({ onJoin }) {
  const [name, setName] = useState(state.name)
  const [room, setRoom] = useState('lobby')
  const input = useRef(null)
  // a room picked in the list shows in the form too
  useEffect(() => void (state.room && setRoom(state.room)), [state.room])
  return (
    <form
      className="card join"
      data-testid="join-form"
      autoComplete="off"
      onSubmit={(event) => {
        event.preventDefault()
        const value = name.trim()
        if (!value) return input.current?.focus()
        localStorage.setItem('chat.name', value)
        onJoin(room, value)
        document.querySelector('[data-testid=message-input]')?.focus()
      }}
    >
      <h2>{state.room ? 'You' : 'Join a room'}</h2>
      <label>
        <span>Name</span>
        <input ref={input} name="name" data-testid="name-input" maxLength={32} placeholder="Your name" required value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        <span>Room</span>
        <select name="room" data-testid="room-select" value={room} onChange={(e) => setRoom(e.target.value)}>
          {ROOMS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-testid="join-button">
        {state.room ? 'Update' : 'Join'}
      </button>
      <p className="form-error" data-testid="join-error" hidden={!state.joinError}>
        {state.joinError}
      </p>
    </form>
  )
}

function Members() {
  const socket = useSocket()
  const members = state.room ? memberList() : []
  return (
    <section className="card">
      <h2>
        Members <span className="count" data-testid="member-count">{members.length}</span>
      </h2>
      <ul className="members" data-testid="member-list">
        {!state.room && <li className="empty">Join a room to see who is here.</li>}
        {members.map((m) => (
          <li key={m.id} data-testid="member" data-id={m.id}>
            <Avatar name={m.name ?? '?'} />
            <span className="member-name">{m.name ?? '…'}</span>
            {m.id === socket.id && <span className="tag">you</span>}
          </li>
        ))}
      </ul>
    </section>
  )
}

function Typing() {
  const names = [...state.typers.values()].map((t) => t.name)
  return (
    <span className="typing" data-testid="typing" aria-live="polite">
      {names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : ''}
    </span>
  )
}

// ---------------------------------------------------------------------------
// Messages: the newest SHOWN in the DOM, each row redrawn only when its status changes
// ---------------------------------------------------------------------------

function MessageList() {
  const list = ordered(state.room)
  const shown = list.slice(-SHOWN)
  const ref = useRef(null)
  const stick = useRef(true) // near the bottom: follow new messages
  useLayoutEffect(() => {
    const el = ref.current
    if (el && (stick.current || list.at(-1)?.mine)) el.scrollTop = el.scrollHeight
  })
  const onScroll = () => {
    const el = ref.current
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80
  }
  return (
    <ol className="messages" data-testid="message-list" aria-live="polite" ref={ref} onScroll={onScroll}>
      {!list.length && <li className="placeholder">{state.room ? 'No messages yet. Say hi!' : 'Pick a name and a room to start chatting.'}</li>}
      {list.length > shown.length && (
        <li className="placeholder" data-testid="earlier-messages">
          {list.length - shown.length} earlier messages not shown
        </li>
      )}
      {shown.map((m) => (
        <Message key={m.clientId ?? m.id} m={m} status={m.status} id={m.id} at={m.at} />
      ))}
    </ol>
  )
}

// status, id and at change on the message object itself: passed so memo sees them change.
const Message = memo(function Message({ m, status, id, at }) {
  return (
    <li className={`message${m.mine ? ' mine' : ''}`} data-testid="message" data-status={status} data-client-id={m.clientId} data-id={id}>
      <Avatar name={m.from} />
      <div className="bubble">
        <div className="meta">
          <span className="from">{m.mine ? 'you' : m.from}</span>
          <time>{clock(at)}</time>
          {m.mine && <Tick status={status} error={m.error} />}
        </div>
        <p className="text">{m.text}</p>
      </div>
    </li>
  )
})

// Inline SVG icons: emoji fonts are not everywhere (headless Chromium has none).
const ICONS = {
  pending: (
    <>
      <circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
    </>
  ),
  delivered: <path d="M3 8.5l3.2 3L13 4.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />,
  failed: (
    <>
      <circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5v4.2M8 11.2v.3" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </>
  ),
}

function Tick({ status, error }) {
  const labels = { pending: 'sending…', delivered: 'delivered', failed: `not delivered: ${error ?? ''}` }
  const kind = status in labels ? status : 'pending'
  return (
    <span className={`tick tick--${kind}`} data-testid="tick" title={labels[kind]} aria-label={labels[kind]}>
      <svg viewBox="0 0 16 16" width="13" height="13">
        {ICONS[kind]}
      </svg>
    </span>
  )
}

function Composer({ onSend }) {
  const socket = useSocket()
  const [text, setText] = useState('')
  const lastTyping = useRef(0)
  return (
    <form
      className="composer"
      data-testid="composer"
      autoComplete="off"
      onSubmit={(event) => {
        event.preventDefault()
        const value = text.trim()
        if (!value || !state.room) return
        setText('')
        onSend(value)
      }}
    >
      <input
        name="text"
        data-testid="message-input"
        maxLength={2000}
        placeholder={state.room ? `Message #${state.room}` : 'Join a room first'}
        disabled={!state.room}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          // Typing is best effort: only sent while connected, never buffered.
          if (!socket.connected || !state.room || Date.now() - lastTyping.current < 2000) return
          lastTyping.current = Date.now()
          ;(socket.volatile ?? socket).emit('typing', {})
        }}
      />
      <button type="submit" data-testid="send-button" disabled={!state.room}>
        Send
      </button>
    </form>
  )
}

function Footer() {
  const socket = useSocket()
  const connection = useConnectionState()
  const [, tick] = useState(0)
  const lastId = useRef(undefined)
  // The transport can change (SSE -> polling fallback): look again every second.
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000)
    return () => clearInterval(timer)
  }, [])
  if (socket.id) lastId.current = socket.id
  const connected = connection === 'connected'
  return (
    <footer className="footer">
      <span>
        socket <code data-testid="socket-id" className={connected ? undefined : 'stale'}>{lastId.current ?? '–'}</code>
      </span>
      <span>
        transport <code data-testid="transport">{connected ? (socket.transport ?? '–') : 'none'}</code>
      </span>
      <span className="spacer"></span>
      <a href="/admin">admin</a>
    </footer>
  )
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

// One formatter for every message: making one per call (toLocaleTimeString) is slow.
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' })
function clock(at) {
  return TIME.format(at ?? Date.now())
}

function Avatar({ name = '?' }) {
  let hash = 0
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0
  return (
    <span className="avatar" style={{ '--hue': String(hash % 360) }} aria-hidden="true">
      {[...name.trim()][0]?.toUpperCase() ?? '?'}
    </span>
  )
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <SocketProvider url="/api/socket">
      <Chat />
    </SocketProvider>
  </StrictMode>,
)
