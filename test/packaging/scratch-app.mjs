// The scratch project's whole app (copied there by packaging.test.ts): a server and two clients in
// one process, importing only the installed tarballs. Node and Bun resolve bare names from
// node_modules; Deno gets `npm:` specifiers (SPECIFIER_PREFIX=npm:). Prints one `RESULT {json}` line.
const prefix = globalThis.Deno ? 'npm:' : ''
const { serve } = await import(`${prefix}socket-serve`)
const { redisStore } = await import(`${prefix}socket-serve/redis`)
const { connect } = await import(`${prefix}@socket-serve/client`)
const { connect: connectViaServerPackage } = await import(`${prefix}socket-serve/client`)

const env = (name) => (globalThis.Deno ? Deno.env.get(name) : process.env[name])
const exit = (code) => (globalThis.Deno ? Deno.exit(code) : process.exit(code))
setTimeout(() => {
  console.error('scratch app: no result within 60 s')
  exit(1)
}, 60_000)

const redisUrl = env('REDIS_URL')
const io = serve(redisUrl ? { store: redisStore(redisUrl) } : {})
io.onConnect((socket) => socket.emit('welcome', { id: socket.id }))
io.onMessage('echo', (socket, data) => data)
io.onMessage('join', async (socket, data) => {
  await socket.join(data.room)
  return 'joined'
})

// Each runtime's own server, on a free loopback port.
let url, stop
if (globalThis.Bun) {
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: io.fetch, idleTimeout: 0 })
  url = `http://127.0.0.1:${server.port}`
  stop = () => server.stop(true)
} else if (globalThis.Deno) {
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, io.fetch)
  url = `http://127.0.0.1:${server.addr.port}`
  stop = () => server.shutdown()
} else {
  const { createServer } = await import('node:http')
  const server = createServer(io.middleware())
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${server.address().port}`
  // closeAllConnections: Node 20's close() otherwise waits out idle keep-alive sockets (5 s).
  stop = () => new Promise((resolve) => (server.close(resolve), server.closeAllConnections()))
}

const received = { a: [], b: [] }
const welcomed = (socket, log) =>
  new Promise((resolve) => {
    socket.on('welcome', (data) => resolve(data.id))
    socket.on('news', (data) => log.push(data))
  })
const a = connect(`${url}/socket`)
const b = connectViaServerPackage(`${url}/socket`)
const [welcomeA, welcomeB] = await Promise.all([welcomed(a, received.a), welcomed(b, received.b)])
const sameIds = [welcomeA === a.id, welcomeB === b.id]
const echo = await a.emitWithAck('echo', { n: 1 })
await a.emitWithAck('join', { room: 'r' })
await b.emitWithAck('join', { room: 'r' })
const bothGotNews = Promise.all([a, b].map((s) => new Promise((resolve) => s.once('news', resolve))))
await io.to('r').emit('news', { text: 'hi' })
await bothGotNews
a.disconnect()
b.disconnect()
await io.close()
await stop()
console.log(
  'RESULT ' +
    JSON.stringify({
      runtime: globalThis.Bun ? 'bun' : globalThis.Deno ? 'deno' : 'node',
      store: redisUrl ? 'redis' : 'memory',
      welcomed: sameIds,
      echo,
      news: [received.a.length, received.b.length],
    }),
)
exit(0)
