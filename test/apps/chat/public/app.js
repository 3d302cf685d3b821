// socket-serve chat: the page. No framework, no build step: the client SDK is served
// from client/dist by server.mjs.
import { connect } from '/vendor/client/index.js'

const $ = (sel) => document.querySelector(sel)
const el = {
  status: $('[data-testid=status]'),
  joinForm: $('[data-testid=join-form]'),
  joinError: $('[data-testid=join-error]'),
  nameInput: $('[data-testid=name-input]'),
  roomSelect: $('[data-testid=room-select]'),
  roomList: $('[data-testid=room-list]'),
  members: $('[data-testid=member-list]'),
  memberCount: $('[data-testid=member-count]'),
  roomTitle: $('[data-testid=room-title]'),
  typing: $('[data-testid=typing]'),
  messages: $('[data-testid=message-list]'),
  composer: $('[data-testid=composer]'),
  input: $('[data-testid=message-input]'),
  send: $('[data-testid=send-button]'),
  socketId: $('[data-testid=socket-id]'),
  transport: $('[data-testid=transport]'),
}

// A chat app keeps trying to get back (the SDK's default gives up after 5 attempts).
const socket = connect('/api/socket')

const state = {
  name: localStorage.getItem('chat.name') ?? '',
  room: null, // the room we joined (or are joining)
  messages: new Map(), // room -> [{ id, clientId, from, fromId, text, at, mine, status }]
  received: [], // every 'chat' event as it arrived, unfiltered (tests count these)
  attempt: 0,
  joinsPending: 0, // joins sent (or queued) whose ack has not come back
  lastId: undefined, // the session id we had last (socket.id is undefined while disconnected)
  statusLog: [], // every status the pill showed, in order (tests read it)
}
el.nameInput.value = state.name

// ---------------------------------------------------------------------------
// Connection status: connected / reconnecting (attempt n) / offline
// ---------------------------------------------------------------------------

function setStatus(kind, text, title = '') {
  el.status.className = `pill pill--${kind}`
  el.status.dataset.state = kind
  el.status.textContent = text
  el.status.title = title
  if (state.statusLog.at(-1) !== text) state.statusLog.push(text)
}

// After 'reconnect_failed' (not with Infinity attempts, but a page may choose fewer) the pill is a retry button.
el.status.addEventListener('click', () => {
  if (!socket.active) socket.connect()
})
window.addEventListener('online', () => {
  if (!socket.active) socket.connect()
})

function showFooter() {
  if (socket.id) state.lastId = socket.id
  el.socketId.textContent = state.lastId ?? '–'
  el.socketId.classList.toggle('stale', !socket.connected)
  el.transport.textContent = socket.connected ? (socket.transport ?? '–') : 'none'
}
setInterval(showFooter, 1000) // the transport can change (SSE -> polling fallback)

socket.on('connect', () => {
  state.attempt = 0
  setStatus('connected', 'connected', socket.recovered === false ? 'new session' : 'session kept')
  showFooter()
  // A reconnect that kept the session kept its room too; a brand-new session (after expiry) has
  // none, so join again, unless a join is still queued: the client sends that one on this session.
  if (state.room && socket.recovered === false && state.joinsPending === 0) join(state.room, state.name)
})
socket.on('disconnect', (reason) => {
  const final = reason === 'io client disconnect' || reason === 'io server disconnect'
  setStatus(final ? 'offline' : 'reconnecting', final ? 'offline' : 'reconnecting…', String(reason ?? ''))
  showFooter()
})
socket.on('reconnect_attempt', (n) => {
  state.attempt = typeof n === 'number' ? n : state.attempt + 1
  setStatus('reconnecting', `reconnecting (attempt ${state.attempt})`)
})
socket.on('reconnect', () => setStatus('connected', 'connected'))
socket.on('connect_error', (err) => {
  // During a reconnect sequence the next reconnect_attempt updates the pill; otherwise we're offline.
  if (state.attempt === 0) setStatus('offline', 'offline', err?.message ?? String(err))
  else el.status.title = err?.message ?? String(err)
})
socket.on('reconnect_failed', () => setStatus('offline', 'offline · retry', 'gave up reconnecting: click to retry'))

// ---------------------------------------------------------------------------
// Rooms and members
// ---------------------------------------------------------------------------

function join(room, name) {
  state.room = room
  state.name = name
  renderRoom()
  state.joinsPending++
  socket.emit('join', { room, name }, (reply) => {
    state.joinsPending--
    const error = ackError(reply)
    if (error) return showJoinError(error)
    showJoinError('')
    if (reply?.room === state.room) renderMembers(reply.members)
  })
}

function showJoinError(message) {
  el.joinError.textContent = message
  el.joinError.hidden = !message
}

el.joinForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = el.nameInput.value.trim()
  if (!name) return el.nameInput.focus()
  localStorage.setItem('chat.name', name)
  join(el.roomSelect.value, name)
  el.input.focus()
})

el.roomList.addEventListener('click', (event) => {
  const room = event.target.closest('button[data-room]')?.dataset.room
  if (!room || room === state.room) return
  el.roomSelect.value = room
  if (state.name) join(room, state.name)
  else el.nameInput.focus()
})

socket.on('members', ({ room, members } = {}) => {
  if (room === state.room) renderMembers(members)
})

function renderMembers(members = []) {
  el.memberCount.textContent = String(members.length)
  el.members.replaceChildren(
    ...members.map((m) => {
      const li = document.createElement('li')
      li.dataset.testid = 'member'
      li.dataset.id = m.id
      li.append(avatar(m.name), text('span', m.name, 'member-name'))
      if (m.id === socket.id) li.append(text('span', 'you', 'tag'))
      return li
    }),
  )
}

function renderRoom() {
  el.roomTitle.textContent = `# ${state.room}`
  for (const b of el.roomList.querySelectorAll('button')) b.classList.toggle('active', b.dataset.room === state.room)
  el.input.disabled = el.send.disabled = false
  el.input.placeholder = `Message #${state.room}`
  el.joinForm.querySelector('h2').textContent = 'You'
  el.joinForm.querySelector('button').textContent = 'Update'
  renderMessages()
}

// ---------------------------------------------------------------------------
// Messages: yours show a clock until the server acks them, then a ✓
// ---------------------------------------------------------------------------

let counter = 0
const clientId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${++counter}`
const roomMessages = (room) => state.messages.get(room) ?? state.messages.set(room, []).get(room)

el.composer.addEventListener('submit', (event) => {
  event.preventDefault()
  const value = el.input.value.trim()
  if (!value || !state.room) return
  el.input.value = ''
  sendChat(value)
})

function sendChat(value) {
  const msg = { clientId: clientId(), from: state.name, text: value, at: Date.now(), mine: true, status: 'pending', room: state.room, echoed: false }
  roomMessages(msg.room).push(msg)
  renderMessages()
  // Emitted whatever the connection state: the SDK buffers it while offline and sends it on reconnect.
  socket.emit('chat', { text: value, clientId: msg.clientId, room: msg.room, name: state.name }, (reply) => {
    const error = ackError(reply)
    msg.status = error ? 'failed' : 'delivered'
    msg.error = error || undefined
    if (!error && reply?.id) msg.id = reply.id
    renderMessages()
  })
}

socket.on('chat', (m) => {
  state.received.push(m)
  const list = roomMessages(m.room ?? state.room)
  const i = m.clientId ? list.findIndex((x) => x.mine && x.clientId === m.clientId) : -1
  if (i >= 0) {
    // Our own message came back through the room: it takes its place in the room's order.
    const [own] = list.splice(i, 1)
    list.push(Object.assign(own, { id: m.id, at: m.at, echoed: true }))
  } else {
    list.push({ ...m, mine: m.fromId === socket.id, status: 'received', echoed: true })
  }
  typingStopped(m.fromId)
  renderMessages()
})

/** The room's messages in server order, then ours that the room has not echoed yet. */
function ordered(room) {
  const list = room ? roomMessages(room) : []
  return [...list.filter((m) => m.echoed), ...list.filter((m) => !m.echoed)]
}

/**
 * The list shows the newest SHOWN messages (the rest are counted above them) and redraws at most
 * once per frame, reusing each message's node until its status changes: a busy room costs the
 * page the same at 10,000 messages as at 100.
 */
const SHOWN = 200
let frame = 0
let fallback = 0
function renderMessages() {
  if (frame) return
  frame = requestAnimationFrame(drawMessages)
  // a hidden tab gets no frames: draw anyway, less often
  fallback = setTimeout(drawMessages, 250)
}

const nodes = new WeakMap() // message -> { li, key }

function drawMessages() {
  cancelAnimationFrame(frame)
  clearTimeout(fallback)
  frame = 0
  const list = ordered(state.room)
  if (!list.length) {
    const li = text('li', state.room ? 'No messages yet. Say hi!' : 'Pick a name and a room to start chatting.', 'placeholder')
    return el.messages.replaceChildren(li)
  }
  const nearBottom = el.messages.scrollHeight - el.messages.scrollTop - el.messages.clientHeight < 80
  const shown = list.slice(-SHOWN)
  const children = shown.map((m) => {
    const key = `${m.status}|${m.id ?? ''}|${m.at}`
    const cached = nodes.get(m)
    if (cached && cached.key === key) return cached.li
    const li = renderMessage(m)
    nodes.set(m, { li, key })
    return li
  })
  if (list.length > shown.length) {
    const more = text('li', `${list.length - shown.length} earlier messages not shown`, 'placeholder')
    more.dataset.testid = 'earlier-messages'
    children.unshift(more)
  }
  el.messages.replaceChildren(...children)
  if (nearBottom || list.at(-1)?.mine) el.messages.scrollTop = el.messages.scrollHeight
}

function renderMessage(m) {
  const li = document.createElement('li')
  li.className = `message${m.mine ? ' mine' : ''}`
  li.dataset.testid = 'message'
  li.dataset.status = m.status
  if (m.clientId) li.dataset.clientId = m.clientId
  if (m.id) li.dataset.id = m.id
  const meta = document.createElement('div')
  meta.className = 'meta'
  meta.append(text('span', m.mine ? 'you' : m.from, 'from'), text('time', clock(m.at)))
  if (m.mine) meta.append(tick(m))
  const bubble = document.createElement('div')
  bubble.className = 'bubble'
  bubble.append(meta, text('p', m.text, 'text'))
  li.append(avatar(m.from), bubble)
  return li
}

// Inline SVG icons: emoji fonts are not everywhere (headless Chromium has none).
const ICONS = {
  pending: '<svg viewBox="0 0 16 16" width="13" height="13"><circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/></svg>',
  delivered: '<svg viewBox="0 0 16 16" width="13" height="13"><path d="M3 8.5l3.2 3L13 4.5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  failed: '<svg viewBox="0 0 16 16" width="13" height="13"><circle cx="8" cy="8" r="6.25" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 4.5v4.2M8 11.2v.3" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/></svg>',
}

function tick(m) {
  const labels = { pending: 'sending…', delivered: 'delivered', failed: `not delivered: ${m.error ?? ''}` }
  const kind = m.status in labels ? m.status : 'pending'
  const span = document.createElement('span')
  span.className = `tick tick--${kind}`
  span.innerHTML = ICONS[kind] // constant markup, never user text
  span.dataset.testid = 'tick'
  span.title = labels[kind]
  span.setAttribute('aria-label', labels[kind])
  return span
}

// ---------------------------------------------------------------------------
// Typing indicator (best effort: only sent while connected, never buffered)
// ---------------------------------------------------------------------------

let lastTyping = 0
el.input.addEventListener('input', () => {
  if (!socket.connected || !state.room || Date.now() - lastTyping < 2000) return
  lastTyping = Date.now()
  ;(socket.volatile ?? socket).emit('typing', {})
})

const typers = new Map() // socket id -> { name, timer }
socket.on('typing', ({ id, name } = {}) => {
  if (!id || id === socket.id) return
  clearTimeout(typers.get(id)?.timer)
  typers.set(id, { name, timer: setTimeout(() => typingStopped(id), 3000) })
  renderTyping()
})
function typingStopped(id) {
  if (!typers.has(id)) return
  clearTimeout(typers.get(id).timer)
  typers.delete(id)
  renderTyping()
}
function renderTyping() {
  const names = [...typers.values()].map((t) => t.name)
  el.typing.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : ''
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** An ack carries an error as an Error, or as { error: { message } } / { error: '...' }. */
function ackError(reply) {
  if (reply instanceof Error) return reply.message
  const e = reply?.error
  if (!e) return ''
  return typeof e === 'string' ? e : (e.message ?? e.code ?? 'error')
}

function text(tag, value, className) {
  const node = document.createElement(tag)
  node.textContent = value
  if (className) node.className = className
  return node
}

function clock(at) {
  return new Date(at ?? Date.now()).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

function avatar(name = '?') {
  let hash = 0
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)) >>> 0
  const span = text('span', [...name.trim()][0]?.toUpperCase() ?? '?', 'avatar')
  span.style.setProperty('--hue', String(hash % 360))
  span.setAttribute('aria-hidden', 'true')
  return span
}

// For tests and the console: the socket, the messages of the current room, every 'chat' received.
window.__chat = {
  socket,
  messages: () => ordered(state.room).map((m) => ({ ...m })),
  received: () => state.received.map((m) => ({ ...m })),
  state,
}
