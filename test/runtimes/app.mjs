// The example app of the platform matrix (runtimes.test.ts): this one module, unchanged, is what
// every platform in test/runtimes/<platform>/ serves. It is the README's `io` module: create `io`
// once, at module scope, with no I/O there (Next.js evaluates it during `next build`); the store
// connects on the first request. Plain ESM, so Node 20, Bun, Deno, Netlify, Next.js (Node and Edge)
// and Cloudflare Workers (nodejs_compat gives it process.env) all load it.
import { serve } from 'socket-serve'
import { upstashStore } from 'socket-serve/upstash'

const env = process.env

export const io = serve({
  // Where there is no TCP (Workers, Edge), the Upstash store: REST over fetch. Creating it connects
  // nothing; its first request does.
  store: env.UPSTASH_REDIS_REST_URL ? upstashStore({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }) : undefined,
  // Otherwise REDIS_URL in the environment selects the Redis store (every platform but one process needs it).
  // The matrix shortens streams to exercise the invisible resume; 0 (the default) keeps them open.
  maxStreamDuration: Number(env.MAX_STREAM_DURATION ?? 0),
})

io.onConnect((socket) => socket.emit('welcome', { id: socket.id }))

io.onMessage('echo', (socket, data) => data)

io.onMessage('join', async (socket, data) => {
  await socket.join(data.room)
  return 'joined'
})

io.onMessage('shout', async (socket, data) => {
  await socket.to(data.room).emit('shout', data)
  return 'ok'
})

// Lets a test see that the server ran onDisconnect: the room's other members hear of it.
io.onDisconnect(async (socket) => {
  for (const room of socket.rooms) if (room !== socket.id) await io.to(room).emit('left', { id: socket.id })
})
