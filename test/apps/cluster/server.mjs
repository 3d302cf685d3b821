// One instance of a multi-instance deployment: node:http + io.middleware(), state in Redis.
//
//   REDIS_URL=redis://127.0.0.1:6379 PORT=0 node test/apps/cluster/server.mjs
//
// Options from the environment (all optional): MAX_STREAM_MS, DISCONNECT_TIMEOUT, PING_INTERVAL,
// SWEEP_INTERVAL. DISCONNECT_LOG: a file that gets one line per onDisconnect call,
// `<sid> <port> <reason>`, so a test can count onDisconnect across processes.
import { appendFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { serve } from 'socket-serve'

const num = (name) => (process.env[name] ? Number(process.env[name]) : undefined)

if (!process.env.REDIS_URL) throw new Error('REDIS_URL is required')
const io = serve({
  redisUrl: process.env.REDIS_URL,
  maxStreamDuration: num('MAX_STREAM_MS'),
  disconnectTimeout: num('DISCONNECT_TIMEOUT'),
  pingInterval: num('PING_INTERVAL'),
  sweepInterval: num('SWEEP_INTERVAL'),
})
let port = Number(process.env.PORT ?? 0)

io.onMessage('join', async (socket, data) => {
  await socket.join(data.room)
  return 'joined'
})

// To everyone in the room, the sender included; the ack is the payload.
io.onMessage('say', async (socket, data) => {
  await io.to(data.room).emit('msg', data)
  return data
})

// As 'say', with pauses: `data.before` ms before the room emit, `data.delay` ms after it (before
// the ack). Windows in which a test can kill the instance or stop Redis mid-handler.
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms ?? 0))
io.onMessage('slowsay', async (socket, data) => {
  await pause(data.before)
  await io.to(data.room).emit('msg', data)
  await pause(data.delay)
  return data
})

io.onMessage('everyone', async (socket, data) => {
  await io.emit('all', data)
  return data
})

io.onMessage('echo', (socket, data) => data)

// Which instance ran the handler.
io.onMessage('whoami', (socket) => ({ port, sid: socket.id }))

// Asks the caller (server emitWithAck) and returns its answer, with the port of the asking instance.
io.onMessage('ask', async (socket, data) => {
  const answer = await socket.emitWithAck('question', data, { timeout: 30_000 })
  return { answer, port }
})

io.onDisconnect((socket, reason) => {
  if (process.env.DISCONNECT_LOG) appendFileSync(process.env.DISCONNECT_LOG, `${socket.id} ${port} ${reason}\n`)
})

const mw = io.middleware()
const server = createServer((req, res) => mw(req, res))
server.listen(port, '127.0.0.1', () => {
  port = server.address().port
  console.log(`listening on http://127.0.0.1:${port}`)
})

process.on('SIGTERM', async () => {
  await io.close()
  server.closeAllConnections()
  server.close()
  process.exit(0)
})
