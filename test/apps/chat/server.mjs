// socket-serve chat demo: a plain node:http server.
//
//   node test/apps/chat/server.mjs            (after `npm run build`: handler, client, this page, inspector)
//   PORT=3000 HOST=localhost                  where to listen
//   REDIS_URL=redis://...                     share state through Redis (default: in-memory store)
//   MAX_STREAM_MS=3000                        cut SSE/poll streams early (tests, serverless limits)
//   PING_MS=25000                             heartbeat interval
//   DISCONNECT_MS=45000, SWEEP_MS=10000       session expiry without a stream, and how often to check (tests)
//   INSPECTOR_TOKEN=...                       the inspector's token (default: a random one, printed at start)
//   PUBLIC_ORIGIN=https://chat.example.com    the origin browsers use, when it is not localhost or an IP
//   CONNECTS_PER_MINUTE=6000                  limits.connectsPerMinute (tests that open 10,000 sessions from one address)
//   TLS_KEY=key.pem TLS_CERT=cert.pem         serve HTTPS over HTTP/2 (node:http2, HTTP/1.1 for clients without it):
//                                             a browser then multiplexes every tab's stream and POSTs on one
//                                             connection, instead of 6 connections per host over HTTP/1.1
//
// Routes:
//   /api/socket/*      the socket-serve handler (io.middleware())
//   /                  the chat page: a React app (web/) built by vite into dist/ (build.mjs)
//   /vendor/client/*   the client SDK's built ESM files (client/dist), for pages that import it as is
//   /admin/            the inspector dashboard (inspector-ui/dist/app), reading /api/socket/_inspector/

import { createServer } from 'node:http'
import { createSecureServer } from 'node:http2'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { dirname, extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
// Resolves through test/node_modules/socket-serve (a workspace link to handler/), whatever the cwd.
import { serve } from 'socket-serve'

const here = dirname(fileURLToPath(import.meta.url))
const PUBLIC_DIR = join(here, 'dist')
const CLIENT_DIST = resolve(here, '../../../client/dist')

const PORT = Number(process.env.PORT ?? 3000)
const HOST = process.env.HOST ?? 'localhost'
const SOCKET_PATH = '/api/socket'

// ---------------------------------------------------------------------------
// The socket server
// ---------------------------------------------------------------------------

// The inspector API (handler/INSPECTOR.md) is on. Its token is never served over HTTP (a page that
// got onto this origin, e.g. by DNS rebinding, could read it): it is printed at start, and the
// dashboard at /admin asks for it.
const INSPECTOR_TOKEN = process.env.INSPECTOR_TOKEN || randomBytes(24).toString('base64url')
// presence: every room's members get presence:join / presence:leave (the page's member list).
const options = { inspector: { token: INSPECTOR_TOKEN }, presence: true }
if (process.env.PUBLIC_ORIGIN) options.publicOrigin = process.env.PUBLIC_ORIGIN
if (process.env.REDIS_URL) options.redisUrl = process.env.REDIS_URL // the memory store otherwise
if (process.env.MAX_STREAM_MS) options.maxStreamDuration = Number(process.env.MAX_STREAM_MS)
if (process.env.PING_MS) options.pingInterval = Number(process.env.PING_MS)
if (process.env.DISCONNECT_MS) options.disconnectTimeout = Number(process.env.DISCONNECT_MS)
if (process.env.SWEEP_MS) options.sweepInterval = Number(process.env.SWEEP_MS)
if (process.env.RECOVERY_MS) options.recoveryWindow = Number(process.env.RECOVERY_MS)
if (process.env.CONNECTS_PER_MINUTE) options.limits = { connectsPerMinute: Number(process.env.CONNECTS_PER_MINUTE) }

const io = serve(options)

const ROOM = /^[a-z0-9][a-z0-9_-]{0,31}$/i
const MAX_NAME = 32
const MAX_TEXT = 2000

/** Throws an error whose message the client sees in the ack. */
function check(ok, message) {
  if (!ok) throw new Error(message)
}

/** The people in a room, across instances (io.in(room).presence()): [{ id, name }] sorted by name. */
async function memberList(room) {
  const members = (await io.in(room).presence()).map((m) => ({ id: m.id, name: m.state.name ?? 'anonymous' }))
  return members.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))
}

/**
 * Moves the socket into `room` under `name` and returns the room's member list. Who comes and goes
 * reaches the room as presence events (serve({ presence: true }): leave() and join() announce
 * them, and so does the end of a session, swept or not); presence events carry ids, so the room
 * also hears the name ('profile', after the join, so members learn it with or after the id).
 */
async function joinRoom(socket, room, name) {
  await socket.set('name', name)
  const previous = await socket.get('room')
  if (previous && previous !== room) await socket.leave(previous)
  await socket.join(room)
  await socket.set('room', room)
  await io.to(room).emit('profile', { room, id: socket.id, name })
  return memberList(room)
}

// Every new session is greeted with its id (a reconnect that keeps the session is not a new one).
io.onConnect((socket) => socket.emit('welcome', { id: socket.id }))

// join { room, name } -> ack { room, members }
io.onMessage('join', async (socket, data) => {
  const room = String(data?.room ?? '')
  const name = String(data?.name ?? '').trim()
  check(ROOM.test(room), 'room: letters, digits, _ and -, up to 32 characters')
  check(name.length >= 1 && name.length <= MAX_NAME, `name: 1 to ${MAX_NAME} characters`)
  const members = await joinRoom(socket, room, name)
  return { room, members }
})

// chat { text, clientId, room?, name? } -> room gets 'chat' { id, from, text, at, clientId }; ack { id }
// The ack is the sender's "delivered" tick. room/name let a message that was buffered while the
// session expired re-join on the fresh session before it is posted.
io.onMessage('chat', async (socket, data) => {
  const text = data?.text
  check(typeof text === 'string' && text.length >= 1 && text.length <= MAX_TEXT, `text: 1 to ${MAX_TEXT} characters`)
  let room = await socket.get('room')
  if (!room && ROOM.test(String(data?.room ?? '')) && data?.name) {
    await joinRoom(socket, String(data.room), String(data.name).trim().slice(0, MAX_NAME))
    room = String(data.room)
  }
  check(room, 'join a room first')
  const id = randomUUID()
  const from = (await socket.get('name')) ?? 'anonymous'
  const clientId = typeof data?.clientId === 'string' ? data.clientId.slice(0, 64) : undefined
  await io.to(room).emit('chat', { id, room, from, fromId: socket.id, text, at: Date.now(), clientId })
  return { id }
})

// typing {} -> the rest of the room gets 'typing' { id, name } (no ack, nothing stored by the page)
io.onMessage('typing', async (socket) => {
  const room = await socket.get('room')
  if (!room) return
  await socket.to(room).emit('typing', { id: socket.id, name: (await socket.get('name')) ?? 'anonymous' })
})

// ---------------------------------------------------------------------------
// The HTTP server
// ---------------------------------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

/**
 * Serves `rel` (a URL path below a mount) from `root`. Refuses anything that would
 * leave root (.., encoded slashes, NUL) and any file type not in TYPES.
 */
async function serveFile(res, root, rel, method) {
  let decoded
  try {
    decoded = decodeURIComponent(rel)
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n')
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) {
    return send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n')
  }
  const file = resolve(root, '.' + (decoded.startsWith('/') ? decoded : '/' + decoded))
  if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n')
  const type = TYPES[extname(file)]
  if (!type) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
  try {
    const info = await stat(file)
    if (!info.isFile()) throw new Error('not a file')
    const body = await readFile(file)
    res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' })
    res.end(method === 'HEAD' ? undefined : body)
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n')
  }
}

// The inspector dashboard (inspector-ui's standalone page, built by `npm run build`).
const INSPECTOR_DIST = resolve(here, '../../../inspector-ui/dist/app')
// The dashboard asks for the token; the link printed at start carries it in the fragment (never sent
// to the server, never in any answer of this server).
const ADMIN_URL = `/admin/?endpoint=${encodeURIComponent(SOCKET_PATH)}`

const socketMiddleware = io.middleware()

const TLS = process.env.TLS_KEY && process.env.TLS_CERT ? { key: readFileSync(process.env.TLS_KEY), cert: readFileSync(process.env.TLS_CERT) } : undefined
const SCHEME = TLS ? 'https' : 'http'

const app = (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const path = url.pathname

  // The socket handler owns every path under its mount (and answers unknown ones with its JSON 404).
  if (path === SOCKET_PATH || path.startsWith(SOCKET_PATH + '/')) return socketMiddleware(req, res)

  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' })
  }
  if (path === '/admin' || (path === '/admin/' && !url.search)) return send(res, 302, 'text/plain; charset=utf-8', '', { location: ADMIN_URL })
  if (path === '/admin/') return serveFile(res, INSPECTOR_DIST, 'index.html', req.method)
  if (path.startsWith('/admin/')) return serveFile(res, INSPECTOR_DIST, path.slice('/admin/'.length), req.method)
  if (path.startsWith('/vendor/client/')) return serveFile(res, CLIENT_DIST, path.slice('/vendor/client/'.length), req.method)
  if (path === '/') return serveFile(res, PUBLIC_DIR, 'index.html', req.method)
  return serveFile(res, PUBLIC_DIR, path, req.method)
}

const server = TLS ? createSecureServer({ ...TLS, allowHTTP1: true }, app) : createServer(app)

if (!existsSync(join(PUBLIC_DIR, 'index.html'))) console.warn(`the chat page is not built (${PUBLIC_DIR}): run \`npm run build\``)

server.listen(PORT, HOST, () => {
  const { port } = server.address()
  const shownHost = HOST.includes(':') ? `[${HOST}]` : HOST
  console.log(`listening on ${SCHEME}://${shownHost}:${port}`)
  console.log(`inspector dashboard: ${SCHEME}://${shownHost}:${port}${ADMIN_URL}#token=${encodeURIComponent(INSPECTOR_TOKEN)}`)
})

// Ctrl-C / SIGTERM: end open streams, release the store, then stop listening.
let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  setTimeout(() => process.exit(0), 3000).unref()
  try {
    await io.close()
  } catch (err) {
    console.error('io.close failed:', err)
  }
  server.closeIdleConnections?.()
  server.close(() => process.exit(0))
  server.closeAllConnections?.()
}
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
