// node test/apps/smoke/node.mjs   (PORT from the environment)
import { createServer } from 'node:http'
import { io, port, hostname, listening } from './app.mjs'

const server = createServer(io.middleware())
server.listen(port, hostname, () => listening(server.address().port))

process.on('SIGTERM', async () => {
  await io.close?.()
  server.close()
  process.exit(0)
})
