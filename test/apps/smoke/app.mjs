// The example app every runtime serves in the runtime matrix (test/runtimes). Plain ESM so that
// Node 20, Bun and Deno run the same file, against the built handler (handler/dist).
import { serve } from 'socket-serve'

export const io = serve() // in-memory store

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

io.onMessage('everyone', async (socket, data) => {
  await socket.broadcast('everyone', data)
  return 'ok'
})

// Lets a test see that the server ran onDisconnect.
io.onDisconnect(async (socket) => {
  await io.emit('left', { id: socket.id })
})

export const port = Number(process.env.PORT ?? 3000)
export const hostname = '127.0.0.1'
export const listening = (p = port) => console.log(`listening on http://${hostname}:${p}`)
