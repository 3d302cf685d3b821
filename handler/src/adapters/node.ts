/**
 * Express / Connect / node:http / node:http2 glue. It uses only the shapes of Node's
 * IncomingMessage and ServerResponse (and http2's compatible request and response; no `node:`
 * imports), so importing the handler stays safe on edge runtimes.
 */

import { attachBody, offerSink, responseSource, responseText, type DirectSink } from '../http/beside.js'
import { attachClientAddress } from '../http/client-address.js'
import { concatBytes } from '../delivery/bytes.js'

export interface NodeRequest {
  method?: string
  /** 2 for node:http2's compatible request */
  httpVersionMajor?: number
  url?: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  /** name, value, name, value...: cheaper to read than `headers`, which Node builds on first use */
  rawHeaders?: string[]
  body?: unknown
  readableEnded?: boolean
  complete?: boolean
  /** net.Socket or tls.TLSSocket (only `encrypted` is read) */
  socket?: unknown
  on(event: 'data', fn: (chunk: unknown) => void): unknown
  on(event: 'end', fn: () => void): unknown
  on(event: 'error', fn: (err: unknown) => void): unknown
  on(event: 'close', fn: () => void): unknown
}

export interface NodeResponse {
  statusCode: number
  headersSent: boolean
  writableEnded?: boolean
  /** the whole answer was handed to the network */
  writableFinished?: boolean
  setHeader(name: string, value: string | string[]): unknown
  writeHead(status: number, headers?: Record<string, string | string[]>): unknown
  write(chunk: string | Uint8Array): boolean
  end(chunk?: string | Uint8Array): unknown
  once(event: 'drain' | 'close', fn: () => void): unknown
  on(event: 'close', fn: () => void): unknown
  flushHeaders?: () => void
  cork?: () => void
  uncork?: () => void
  writableLength?: number
  destroyed?: boolean
  /** drops the connection and what is queued on it */
  destroy?: (err?: Error) => unknown
}

export type NodeMiddleware = (req: NodeRequest, res: NodeResponse, next?: (err?: unknown) => void) => void

export interface NodeAdapterOptions {
  /**
   * bytes read from a request body at the most (the handler's maxPayload). A larger body is not
   * buffered: the handler sees more than its limit and answers 413 as on any runtime.
   */
  maxBody?: number
  /** ms a body may take to arrive (limits.bodyTimeout): a slower one gets 408 and its connection is closed */
  bodyTimeout?: number
}

export function nodeMiddleware(fetch: (req: Request) => Promise<Response>, options: NodeAdapterOptions | number = {}): NodeMiddleware {
  const { maxBody = Infinity, bodyTimeout = Infinity } = typeof options === 'number' ? { maxBody: options } : options
  return (req, res) => {
    serveNode(fetch, req, res, maxBody, bodyTimeout).catch((err) => {
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

async function serveNode(fetch: (req: Request) => Promise<Response>, req: NodeRequest, res: NodeResponse, maxBody: number, bodyTimeout: number): Promise<void> {
  const method = req.method ?? 'GET'
  if (!METHODS.has(method)) return refuse(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed`)
  const headers = requestHeaders(req)
  // HTTP/2 (node:http2's compatibility API) names the host in the :authority pseudo-header.
  const host = headers.get('host') ?? authority(req) ?? 'localhost'
  const proto = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http'
  // Express strips the mount path from req.url; originalUrl keeps it. Routing is on the suffix either way.
  const url = `${proto}://${host}${req.originalUrl ?? req.url ?? '/'}`
  if (!HOST.test(host) || !URL.canParse(url)) return refuse(res, 400, 'BAD_REQUEST', 'malformed Host header or URL')

  const hasBody = method !== 'GET' && method !== 'HEAD'
  let body: Uint8Array | undefined
  try {
    body = hasBody ? await readBody(req, headers, maxBody, bodyTimeout) : undefined
  } catch (err) {
    if (err === SLOW_BODY) {
      // A body trickling in holds a connection and a buffer: answer, and close the connection
      // (HTTP/1.1; on HTTP/2 the answer ends only this request's stream, and the header is forbidden).
      if (req.httpVersionMajor !== 2) res.setHeader('connection', 'close')
      return refuse(res, 408, 'REQUEST_TIMEOUT', `the request body took longer than ${bodyTimeout} ms`)
    }
    // The client went away mid-body (or the socket failed): nobody to answer, nothing to run.
    return refuse(res, 400, 'BAD_REQUEST', 'the request body did not arrive whole')
  }
  // Only long-lived GETs (streams) need to hear that the client went away, and only while their
  // answer is unfinished: a poll that was answered has nobody left to tell. The reason is made
  // once (abort() without one builds a DOMException, stack and all, per request).
  let signal: AbortSignal | undefined
  if (!hasBody) {
    const aborted = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) aborted.abort(CLIENT_GONE)
    })
    signal = aborted.signal
  }
  // The body bytes ride beside the Request rather than in it: undici would copy them into a stream.
  const request = new Request(url, { method, headers, signal })
  if (body) attachBody(request, body)
  attachClientAddress(request, (req.socket as { remoteAddress?: string } | undefined)?.remoteAddress)
  offerSink(request)

  const response = await fetch(request)
  const out: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) out[name] = value
  })
  const cookies = response.headers.getSetCookie?.() ?? []
  if (cookies.length) out['set-cookie'] = cookies

  const source = responseSource(response)
  // The body of a textResponse: beside the Response (which may carry none, see textResponse).
  const text = responseText(response)
  if (source) {
    // A stream that writes straight into res. On close it is told directly: the Request's own
    // signal follows ours only as long as undici keeps its internal controller alive.
    res.writeHead(response.status, out)
    res.flushHeaders?.()
    res.on('close', () => source.close())
    source.attach(directSink(res))
    if (res.destroyed) source.close() // closed before we listened
  } else if (text !== undefined || (response.body && !out['content-type']?.toString().startsWith('text/event-stream'))) {
    // A whole answer: headers and body leave in one write.
    const bytes = text !== undefined ? encoder.encode(text) : new Uint8Array(await response.arrayBuffer())
    out['content-length'] = String(bytes.byteLength)
    res.writeHead(response.status, out)
    res.end(bytes)
  } else if (!response.body) {
    res.writeHead(response.status, out)
    res.end()
  } else {
    res.writeHead(response.status, out)
    res.flushHeaders?.()
    // Not awaited: an open stream keeps only its reader and res alive, not this request.
    void pipe(response.body.getReader(), res)
  }
}

/**
 * Writes a stream's chunks as they come. Corking around the write makes Node send the chunk (with
 * its chunked-encoding frame) in one syscall now, rather than on the next tick: a broadcast to many
 * streams then reaches the first client without waiting for the writes to all the others.
 */
function directSink(res: NodeResponse): DirectSink {
  return {
    write(chunk) {
      if (res.writableEnded) return
      res.cork?.()
      res.write(chunk)
      res.uncork?.()
    },
    backlog: () => res.writableLength ?? 0,
    end() {
      if (!res.writableEnded) res.end()
    },
    abort() {
      // end() would wait behind the queued bytes of a client that does not read: drop them now.
      if (res.destroy) res.destroy()
      else if (!res.writableEnded) res.end()
    },
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
    // The client went away, or the stream was cut (a client that stopped reading): what is
    // still queued for it is dropped with the connection.
    res.destroy?.()
  } finally {
    if (!res.writableEnded) res.end()
  }
}

function requestHeaders(req: NodeRequest): Headers {
  const headers = new Headers()
  const raw = req.rawHeaders
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.charCodeAt(0) !== 58 /* : */) headers.append(raw[i]!, raw[i + 1]!)
    return headers
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else headers.set(name, value)
  }
  return headers
}

function authority(req: NodeRequest): string | undefined {
  const value = req.headers[':authority']
  return typeof value === 'string' ? value : undefined
}

/**
 * A connection's own headers: Node writes its own on HTTP/1.1, and node:http2 throws on any of
 * them, so a Response's are not passed on.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'])

const encoder = new TextEncoder()

/** A host name or address with an optional port: nothing a URL would read as credentials or a path. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** Methods a fetch Request can carry; others (TRACE, CONNECT) are refused before building one. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/** readBody's rejection when the body did not arrive within bodyTimeout. */
const SLOW_BODY = new Error('the request body arrived too slowly')
/** the abort reason of a GET whose client went away before its answer ended */
const CLIENT_GONE = new Error('the client went away')

function refuse(res: NodeResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify({ error: { code, message } }))
}

/**
 * The raw body, or what a body parser (express.json(), express.text()...) already consumed. Reading
 * stops past `max` bytes: what was read (more than `max`) is enough for the handler to refuse it,
 * and Node discards the rest of an unread body once the response ends.
 */
async function readBody(req: NodeRequest, headers: Headers, max: number, timeout: number): Promise<Uint8Array | undefined> {
  const consumed = req.readableEnded || (req.complete && req.body !== undefined)
  if (consumed) {
    const b = req.body
    if (b === undefined || b === null) return undefined
    if (b instanceof Uint8Array) return b
    if (typeof b === 'string') return encoder.encode(b)
    // A parsed object: send it on as JSON.
    headers.set('content-type', 'application/json')
    headers.delete('content-length')
    return encoder.encode(JSON.stringify(b))
  }
  // Declared too large: the handler refuses it from the header alone.
  if (Number(headers.get('content-length') ?? NaN) > max) return undefined
  // Events rather than for-await: Node's async iterator costs more than the read of a small body.
  const chunks: Uint8Array[] = []
  let size = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  await new Promise<void>((resolve, reject) => {
    if (Number.isFinite(timeout)) timer = setTimeout(() => reject(SLOW_BODY), timeout)
    req.on('data', (chunk) => {
      if (size > max) return
      const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : (chunk as Uint8Array)
      chunks.push(bytes)
      size += bytes.byteLength
      if (size > max) resolve()
    })
    req.on('end', resolve)
    req.on('error', reject)
    // A client gone mid-body: after 'end' this is a no-op.
    req.on('close', () => reject(new Error('the request closed before its body ended')))
  }).finally(() => clearTimeout(timer))
  return chunks.length === 0 ? undefined : concatBytes(chunks)
}
