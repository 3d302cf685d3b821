import net from 'node:net'

/**
 * A loopback TCP proxy that can cut every connection and refuse new ones for a
 * while: a real network drop between a client and a server, with real sockets.
 */
export interface Proxy {
  url: string
  port: number
  /** destroys every open connection; with `downMs`, refuses connections for that long */
  cut(downMs?: number): void
  /** number of connections accepted so far */
  readonly accepted: number
  close(): Promise<void>
}

export async function startProxy(target: { host?: string; port: number }): Promise<Proxy> {
  const sockets = new Set<net.Socket>()
  let downUntil = 0
  let accepted = 0
  const server = net.createServer((client) => {
    if (Date.now() < downUntil) {
      client.destroy()
      return
    }
    accepted++
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted
    },
    cut(downMs = 0) {
      downUntil = Date.now() + downMs
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close() {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
