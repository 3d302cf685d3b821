// The function app the platform emulator (test/support/platform.ts) runs in every instance: the
// public API only, state in Redis (REDIS_URL). What the tests count is written to Redis as well,
// because the instance's memory dies with it:
//   HINCRBY runs <uid> 1        once per handler run (uid: the message's own unique id)
//   HINCRBY disconnects <sid> 1 once per onDisconnect
//   RPUSH lifecycle "<ms> <pid> connect|revive|disconnect <sid> [reason]"   the story, for failures
//
// Options from the environment (all optional; the suites use the product's defaults unless they
// test one): CRON_SECRET (read by serve() itself), MAX_STREAM_MS, DISCONNECT_TIMEOUT, PING_INTERVAL.
import { Redis } from 'ioredis'
import { serve } from 'socket-serve'

const num = (name) => (process.env[name] ? Number(process.env[name]) : undefined)

if (!process.env.REDIS_URL) throw new Error('REDIS_URL is required')

export const io = serve({
  redisUrl: process.env.REDIS_URL,
  maxStreamDuration: num('MAX_STREAM_MS'),
  disconnectTimeout: num('DISCONNECT_TIMEOUT'),
  pingInterval: num('PING_INTERVAL'),
})

// The tests' own counters. Lazy: an instance that never runs a handler never connects.
let counters
const counter = () => (counters ??= new Redis(process.env.REDIS_URL).on('error', () => {})) // it reconnects by itself
/** `data.work` ms of pretend I/O before a handler does its job (a database call, an API). */
const work = (data) => (data && data.work > 0 ? new Promise((resolve) => setTimeout(resolve, data.work)) : undefined)

/** Counted after the handler's own work, so a run that failed on a store outage is not counted. */
const ran = (data) => (data && typeof data.uid === 'string' ? counter().hincrby('runs', data.uid, 1) : undefined)

// Acked echo.
io.onMessage('echo', async (socket, data) => {
  await work(data)
  await ran(data)
  return data
})

// To everyone in the room, the sender included; emitted with or without an ack.
io.onMessage('say', async (socket, data) => {
  await work(data)
  await io.to(data.room).emit('msg', data)
  await ran(data)
  return { uid: data.uid }
})

// A chat message as chat apps write it: to the room at once (not awaited), then slower work
// (saving it), and the ack once both are done. With `data.waitFor` (a uid), the work lasts until
// that message's handler ran (at most data.work ms): a slow handler whose end the test controls.
io.onMessage('chat', async (socket, data) => {
  const sent = io.to(data.room).emit('msg', data)
  const waited = data.waitFor ? await waitForRun(data.waitFor, data.work) : (await work(data), undefined)
  await sent
  await ran(data)
  return waited ? { uid: data.uid, waited } : { uid: data.uid }
})

/** 'ran' once the message `uid`'s handler has run, 'timeout' after `ms`. */
async function waitForRun(uid, ms) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await counter().hexists('runs', uid)) return 'ran'
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return 'timeout'
}

// Server -> client ack: asks the sender and returns its answer.
io.onMessage('ask', async (socket, data) => {
  const answer = await socket.emitWithAck('question', data, { timeout: 20_000 })
  await ran(data)
  return { answer }
})

// A counter in session state. get and set happen in one tick, so handlers of one batch (started
// without waiting for each other) still see each other's increments.
io.onMessage('count', async (socket, data) => {
  const n = (socket.get('count') ?? 0) + 1
  const saved = socket.set('count', n)
  await work(data)
  await saved
  await ran(data)
  return n
})

io.onMessage('join', async (socket, data) => {
  await socket.join(data.room)
  return 'joined'
})

io.onMessage('leave', async (socket, data) => {
  await socket.leave(data.room)
  return 'left'
})

const story = (kind, sid, reason = '') => counter().rpush('lifecycle', `${Date.now()} ${process.pid} ${kind} ${sid} ${reason}`.trim())

io.onConnect(async (socket) => {
  await story(socket.recovered ? 'revive' : 'connect', socket.id)
})

io.onDisconnect(async (socket, reason) => {
  await counter().hincrby('disconnects', socket.id, 1)
  await story('disconnect', socket.id, reason)
})
