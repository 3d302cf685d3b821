// node test/runtimes/hono/server.mjs   (PORT from the environment)
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { io } from '../app.mjs'
import { port, hostname, listening } from '../listen.mjs'

const app = new Hono()
app.all('/socket/*', (c) => io.fetch(c.req.raw))
const server = serve({ fetch: app.fetch, port, hostname }, (info) => listening(info.port))

process.on('SIGTERM', async () => {
  await io.close()
  server.close()
  process.exit(0)
})
