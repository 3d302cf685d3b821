// node test/runtimes/express/server.mjs   (PORT from the environment)
import express from 'express'
import { io } from '../app.mjs'
import { port, hostname, listening } from '../listen.mjs'

const app = express()
app.use(express.json()) // a body parser before the mount is fine
app.use('/socket', io.middleware())
const server = app.listen(port, hostname, () => listening(server.address().port))

process.on('SIGTERM', async () => {
  await io.close()
  server.close()
  process.exit(0)
})
