// bun run test/apps/smoke/bun.mjs   (PORT from the environment)
import { io, port, hostname, listening } from './app.mjs'

// idleTimeout 0: Bun's default (10 s) would cut a quiet SSE stream.
const server = Bun.serve({ port, hostname, fetch: io.fetch, idleTimeout: 0 })
listening(server.port)

process.on('SIGTERM', async () => {
  await io.close?.()
  server.stop(true)
  process.exit(0)
})
