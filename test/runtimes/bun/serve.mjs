// bun run test/runtimes/bun/serve.mjs   (PORT from the environment)
import { io } from '../app.mjs'
import { port, hostname, listening } from '../listen.mjs'

// idleTimeout 0: Bun's default (10 s) would cut a quiet SSE stream.
const server = Bun.serve({ port, hostname, fetch: io.fetch, idleTimeout: 0 })
listening(server.port)

process.on('SIGTERM', async () => {
  await io.close()
  server.stop(true)
  process.exit(0)
})
