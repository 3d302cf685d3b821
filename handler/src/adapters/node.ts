/**
 * Express / Connect / node:http glue. It uses only the shapes of Node's
 * IncomingMessage and ServerResponse (no `node:` imports), so importing the
 * handler stays safe on edge runtimes.
 */

export interface NodeRequest extends AsyncIterable<unknown> {
  method?: string
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  body?: unknown
  readableEnded?: boolean
  complete?: boolean
  socket?: { encrypted?: boolean }
}

export interface NodeResponse {
  statusCode: number
  headersSent: boolean
  writableEnded?: boolean
  setHeader(name: string, value: string | string[]): unknown
  writeHead(status: number, headers?: Record<string, string | string[]>): unknown
  write(chunk: Uint8Array): boolean
  end(chunk?: string | Uint8Array): unknown
  once(event: 'drain' | 'close', fn: () => void): unknown
  on(event: 'close', fn: () => void): unknown
  flushHeaders?: () => void
}

export type NodeMiddleware = (req: NodeRequest, res: NodeResponse, next?: (err?: unknown) => void) => void

export function nodeMiddleware(fetch: (req: Request) => Promise<Response>): NodeMiddleware {
  return (req, res) => {
    serveNode(fetch, req, res).catch((err) => {
      console.error('[socket-serve] node adapter failed:', err)
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' })
        res.end('{"error":{"code":"INTERNAL","message":"internal error"}}')
      } else if (!res.writableEnded) {
        res.end()
      }
    })
  }
}

async function serveNode(fetch: (req: Request) => Promise<Response>, req: NodeRequest, res: NodeResponse): Promise<void> {
  const aborted = new AbortController()
  let finished = false
  res.on('close', () => {
    if (!finished) aborted.abort()
  })

  const method = req.method ?? 'GET'
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const proto = req.socket?.encrypted ? 'https' : 'http'
  // Express strips the mount path from req.url; originalUrl keeps it. Routing is on the suffix either way.
  const url = `${proto}://${headers.get('host') ?? 'localhost'}${req.originalUrl ?? req.url ?? '/'}`
  const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req, headers)

  const response = await fetch(new Request(url, { method, headers, body, signal: aborted.signal }))

  const out: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return
    out[name] = value
  })
  const cookies = response.headers.getSetCookie?.() ?? []
  if (cookies.length) out['set-cookie'] = cookies
  res.writeHead(response.status, out)

  if (!response.body) {
    finished = true
    res.end()
    return
  }
  // Stream chunk by chunk: SSE must reach the client as it is written.
  res.flushHeaders?.()
  const reader = response.body.getReader()
  res.on('close', () => void reader.cancel().catch(() => {}))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) await new Promise<void>((resolve) => {
        res.once('drain', resolve)
        res.once('close', resolve)
      })
    }
  } finally {
    finished = true
    if (!res.writableEnded) res.end()
  }
}

/** The raw body, or what a body parser (express.json(), express.text()...) already consumed. */
async function readBody(req: NodeRequest, headers: Headers): Promise<BodyInit | undefined> {
  const consumed = req.readableEnded || (req.complete && req.body !== undefined)
  if (consumed) {
    const b = req.body
    if (b === undefined || b === null) return undefined
    if (typeof b === 'string' || b instanceof Uint8Array) return b as BodyInit
    // A parsed object: send it on as JSON.
    headers.set('content-type', 'application/json')
    headers.delete('content-length')
    return JSON.stringify(b)
  }
  const chunks: Uint8Array[] = []
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array))
  if (chunks.length === 0) return undefined
  if (chunks.length === 1) return chunks[0] as BodyInit
  let size = 0
  for (const c of chunks) size += c.byteLength
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return all
}
