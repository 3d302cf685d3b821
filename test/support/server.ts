import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type IO, type ServeOptions } from 'socket-serve'

export interface TestServer {
  io: IO
  /** base URL of the socket endpoint, e.g. http://127.0.0.1:PORT/api/socket */
  url: string
  port: number
  close(): Promise<void>
}

/** A real node:http server on a loopback port, serving io.middleware() under /api/socket. */
export async function startServer(options: ServeOptions = {}, setup?: (io: IO) => void): Promise<TestServer> {
  const io = serve(options)
  setup?.(io)
  const mw = io.middleware()
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/socket')) mw(req, res)
    else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    io,
    port,
    url: `http://127.0.0.1:${port}/api/socket`,
    async close() {
      await io.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Polls until `check` passes or the time is up (then throws with `what`). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
