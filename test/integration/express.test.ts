import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type ClientSocket } from '@socket-serve/client'
import { serve, type IO } from 'socket-serve'
import { until } from '../support/server.js'

/**
 * io.middleware() under Express: it owns every path under its mount, answers
 * unknown sub-paths with the JSON 404, and works whether or not a body parser
 * ran before it (DESIGN §2).
 */
describe.each([
  { name: 'no body parser', parsers: [] as express.RequestHandler[] },
  { name: 'express.json() first', parsers: [express.json()] },
  { name: 'express.text() first', parsers: [express.text({ type: '*/*' })] },
])('Express middleware, $name', ({ parsers }) => {
  let io: IO
  let server: http.Server
  const clients: ClientSocket[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await io.close()
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  async function start(): Promise<string> {
    io = serve()
    io.onConnect((s) => s.emit('welcome', s.id))
    io.onMessage('echo', (_s, d: unknown) => d)
    const app = express()
    for (const p of parsers) app.use(p)
    app.use('/socket', io.middleware())
    app.get('/other', (_req, res) => void res.send('the app still routes'))
    server = http.createServer(app)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('connects, acks, receives, and answers unknown sub-paths with the JSON 404', async () => {
    const base = await start()
    for (const transports of [['sse'], ['polling']] as const) {
      const socket = connect(`${base}/socket`, { transports: [...transports] })
      clients.push(socket)
      const welcome: unknown[] = []
      socket.on('welcome', (id: unknown) => welcome.push(id))
      await new Promise<void>((r) => socket.once('connect', () => r()))
      expect(await socket.emitWithAck('echo', { deep: { list: [1, 2, 3] }, text: 'héllo' })).toEqual({ deep: { list: [1, 2, 3] }, text: 'héllo' })
      await until(() => welcome.length === 1, 'welcome')
      expect(welcome).toEqual([socket.id])
    }
    const res = await fetch(`${base}/socket/nope`)
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route /nope' } })
    expect(await (await fetch(`${base}/other`)).text()).toBe('the app still routes')
  })
})
