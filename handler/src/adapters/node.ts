/**
 * Express / Connect / node:http glue. It uses only the shapes of Node's
 * IncomingMessage and ServerResponse (no `node:` imports), so importing the
 * handler stays safe on edge runtimes.
 */

import { attachBody, concatBytes } from '../transport/bytes.js'

export interface NodeRequest extends AsyncIterable<unknown> {
  method?: string
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  body?: unknown
  readableEnded?: boolean
  complete?: boolean
  /** net.Socket or tls.TLSSocket (only `encrypted` is read) */
  socket?: unknown
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
  const method = req.method ?? 'GET'
  if (!METHODS.has(method)) return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed`)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  const host = headers.get('host') ?? 'localhost'
  const proto = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http'
  // Express strips the mount path from req.url; originalUrl keeps it. Routing is on the suffix either way.
  const url = `${proto}://${host}${req.originalUrl ?? req.url ?? '/'}`
  if (!HOST.test(host) || !URL.canParse(url)) return refuse(res, 400, 'BAD_REQUEST', 'malformed Host header or URL')

  const hasBody = method !== 'GET' && method !== 'HEAD'
  const body = hasBody ? await readBody(req, headers) : undefined
  // Only long-lived GETs (streams) need to hear that the client went away.
  let signal: AbortSignal | undefined
  if (!hasBody) {
    const aborted = new AbortController()
    res.on('close', () => aborted.abort())
    signal = aborted.signal
  }
  // The body bytes ride beside the Request rather than in it: undici would copy them into a stream.
  const request = new Request(url, { method, headers, signal })
  if (body) attachBody(request, body)

  const response = await fetch(request)
  const out: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value
  })
  const cookies = response.headers.getSetCookie?.() ?? []
  if (cookies.length) out['set-cookie'] = cookies

  if (!response.body) {
    res.writeHead(response.status, out)
    res.end()
  } else if (!out['content-type']?.toString().startsWith('text/event-stream')) {
    // A whole answer: headers and body leave in one write.
    const bytes = new Uint8Array(await response.arrayBuffer())
    out['content-length'] = String(bytes.byteLength)
    res.writeHead(response.status, out)
    res.end(bytes)
  } else {
    res.writeHead(response.status, out)
    res.flushHeaders?.()
    // Not awaited: an open stream keeps only its reader and res alive, not this request.
    void pipe(response.body.getReader(), res)
  }
}

/** Streams chunk by chunk: SSE must reach the client as it is written. */
async function pipe(reader: ReadableStreamDefaultReader<Uint8Array>, res: NodeResponse): Promise<void> {
  res.on('close', () => void reader.cancel().catch(() => {}))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
      }
    }
  } catch {
    // the client went away; the reader is cancelled
  } finally {
    if (!res.writableEnded) res.end()
  }
}

/** A host name or address with an optional port: nothing a URL would read as credentials or a path. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** Methods a fetch Request can carry; others (TRACE, CONNECT) are refused before building one. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

function refuse(res: NodeResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify({ error: { code, message } }))
}

/** The raw body, or what a body parser (express.json(), express.text()...) already consumed. */
async function readBody(req: NodeRequest, headers: Headers): Promise<Uint8Array | undefined> {
  const consumed = req.readableEnded || (req.complete && req.body !== undefined)
  if (consumed) {
    const b = req.body
    if (b === undefined || b === null) return undefined
    if (b instanceof Uint8Array) return b
    if (typeof b === 'string') return new TextEncoder().encode(b)
    // A parsed object: send it on as JSON.
    headers.set('content-type', 'application/json')
    headers.delete('content-length')
    return new TextEncoder().encode(JSON.stringify(b))
  }
  const chunks: Uint8Array[] = []
  for await (const chunk of req) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array))
  return chunks.length === 0 ? undefined : concatBytes(chunks)
}
