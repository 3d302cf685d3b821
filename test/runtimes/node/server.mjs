// node test/runtimes/node/server.mjs   (PORT from the environment)
import { createServer } from 'node:http'
import { io } from '../app.mjs'
import { port, hostname, listening } from '../listen.mjs'

const server = createServer(io.middleware())
server.listen(port, hostname, () => listening(server.address().port))

process.on('SIGTERM', async () => {
  await io.close()
  server.close()
  process.exit(0)
})
