import { Hono, type Context } from 'hono'
import {
  CURSOR_HEADER,
  isValidEventName,
  PROTOCOL_VERSION,
  SID_HEADER,
  SocketServeError,
  TOKEN_HEADER,
  type ConnectReply,
  type Transport,
} from '@socket-serve/client/protocol'
import { safeEqual, streamToken } from '../core/ids.js'
import type { ServerCore } from '../core/server.js'
import type { SessionRecord } from '../store/types.js'
import { sinkOffered, sourceResponse } from './beside.js'
import { isObject, readJson } from './body.js'
import { checkOrigin, corsHeaders, forbiddenOrigin, preflight } from './cors.js'
import { errorResponse, jsonResponse, toServeError } from './http-errors.js'
import { StoreUnavailableError } from '../store/errors.js'
import { Receiver, type StreamMode } from './receiver.js'
import { inspectorRoutes } from '../inspector/routes.js'

const ROUTES = new Set(['/connect', '/message', '/ack', '/disconnect', '/sse', '/poll'])
const MAX_BATCH = 1000
const OK = '{"ok":true}'
/** A batch claimed this long ago without acks belongs to an instance that died: run it again. */
const STALE_BATCH_MS = 15_000

/**
 * Routes match on the path's last segment, so the handler works under any
 * mount path (`/api/socket/connect`, `/socket/connect`, `/connect`).
 */
export function routePath(req: Request): string {
  const url = req.url
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const inspector = path.indexOf('/_inspector/')
  if (inspector !== -1) return path.slice(inspector)
  const slash = path.lastIndexOf('/')
  return slash === -1 ? '/' : path.slice(slash)
}

export function createRoutes(server: ServerCore<any, any, any>): Hono {
  const app = new Hono({ getPath: routePath })
  const { opts, store } = server

  app.use('*', async (c, next) => {
    const verdict = checkOrigin(c.req.raw, opts.cors)
    if (!verdict.allowed) {
      // Readable by the refused page (a simple request sees the status), but grants nothing else.
      const res = errorResponse(forbiddenOrigin())
      const origin = c.req.header('origin')
      if (origin && c.req.method !== 'OPTIONS') {
        res.headers.set('access-control-allow-origin', origin)
        res.headers.set('vary', 'Origin')
      }
      return res
    }
    if (c.req.method === 'OPTIONS') {
      return verdict.cors ? preflight(verdict.cors, opts.cors) : new Response(null, { status: 204 })
    }
    server.maybeSweep()
    await next()
    if (verdict.cors) for (const [k, v] of Object.entries(corsHeaders(verdict.cors, opts.cors))) c.res.headers.set(k, v)
  })

  app.post('/connect', async (c) => {
    const body = (await readJson(c.req.raw, opts.maxPayload)) ?? {}
    if (!isObject(body)) throw new SocketServeError('BAD_REQUEST', 'connect expects a JSON object')
    const transport = chooseTransport(body.transport, opts.transports)
    const user = opts.auth ? await authenticate(opts.auth, c.req.raw, body.auth) : undefined
    const record = await server.connect(c.req.raw, user, transport)
    const reply: ConnectReply = {
      sid: record.sid,
      token: record.token,
      streamToken: await streamToken(record.token),
      pingInterval: opts.pingInterval,
      pingTimeout: opts.pingTimeout,
      maxPayload: opts.maxPayload,
      transports: opts.transports,
      protocol: PROTOCOL_VERSION,
    }
    return jsonResponse(JSON.stringify(reply))
  })

  app.post('/message', async (c) => {
    const { sid, token } = credentials(c)
    const messages = parseMessages(await readJson(c.req.raw, opts.maxPayload))
    const ids = messages.map((m) => m.id)
    const limits = { ...server.limits, staleAfter: STALE_BATCH_MS, rate: opts.rate }
    // One round trip: the record and the claim travel together; the claim checks the token itself.
    let found: SessionRecord | null
    let first: Awaited<ReturnType<typeof store.claimBatch>>
    try {
      ;[found, first] = await Promise.all([store.getSession(sid), store.claimBatch(sid, token, ids, Date.now(), limits)])
    } catch (err) {
      // The claim may have landed with its reply lost: give it back, or the retry would wait on it forever.
      if (err instanceof StoreUnavailableError) whenStoreIsBack(() => store.releaseBatch(sid, ids))
      throw err
    }
    const record = check(found, token)
    let claim = first
    if (claim.authorized === false) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    if (claim.retryAfterMs !== undefined) {
      throw new SocketServeError('RATE_LIMITED', `more than ${opts.rate!.limit} messages in ${opts.rate!.windowMs} ms`, {
        retryAfter: Math.max(1, Math.ceil(claim.retryAfterMs / 1000)),
      })
    }
    // A retry that overtook its first attempt waits for that attempt's acks.
    for (let i = 0; claim.pending && i < 50; i++) {
      await sleep(100)
      claim = await store.claimBatch(sid, token, ids, Date.now(), limits)
    }
    if (claim.pending) {
      throw new SocketServeError('STORE_UNAVAILABLE', 'this batch is still running; retry', { retryAfter: 1 })
    }
    if (claim.interrupted) {
      // Its instance stopped mid-way: the handlers may have run, so they are not run again.
      const acks = JSON.stringify(
        messages.filter((m) => m.ack).map((m) => ({ id: m.id, error: { code: 'INTERRUPTED', message: 'the server running this message stopped; it ran at most once' } })),
      )
      await store.finishBatch(sid, ids, acks)
      return jsonResponse(`{"acks":${acks}}`)
    }
    if (claim.fresh.length === 0) return jsonResponse(`{"acks":${claim.acks ?? '[]'}}`)
    const fresh = new Set(claim.fresh)
    let replies: Awaited<ReturnType<typeof server.dispatch>>
    try {
      replies = await server.dispatch(record, messages.filter((m) => fresh.has(m.id)), !!claim.rerun)
    } catch (err) {
      // A handler hit a store outage: answer 503 and give the claim back once the store
      // answers again, so the client's retry runs the batch instead of waiting for it.
      if (err instanceof StoreUnavailableError) whenStoreIsBack(() => store.releaseBatch(sid, ids))
      throw err
    }
    const acks = serializeAcks(replies)
    // Stored for retries without holding up the reply: a retry that comes first waits for it.
    whenStoreIsBack(() => store.finishBatch(sid, ids, acks))
    return jsonResponse(`{"acks":${acks}}`)
  })

  app.post('/ack', async (c) => {
    const record = await session(c)
    const body = await readJson(c.req.raw, opts.maxPayload)
    const acks = isObject(body) ? body.acks : undefined
    if (!Array.isArray(acks) || acks.length > MAX_BATCH) throw new SocketServeError('BAD_REQUEST', 'expected { acks: [...] }')
    for (const a of acks) {
      if (!isObject(a) || typeof a.id !== 'string' || a.id.length > 64) throw new SocketServeError('BAD_REQUEST', 'each ack needs a string id')
    }
    await Promise.all(acks.map((a) => server.acks.deliver(record.sid, a.id as string, a.data)))
    return jsonResponse(OK)
  })

  app.post('/disconnect', async (c) => {
    const record = await session(c)
    await server.endSession(record.sid, 'client namespace disconnect', 'io client disconnect')
    return jsonResponse(OK)
  })

  app.get('/sse', (c) => stream(c, 'sse'))
  app.get('/poll', (c) => stream(c, 'poll'))

  inspectorRoutes(app, server)

  // A known route with another method: 405; anything else: 404.
  app.all('*', (c) => {
    const path = routePath(c.req.raw)
    if (ROUTES.has(path)) throw new SocketServeError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${path}`)
    throw new SocketServeError('NOT_FOUND', `no route ${path}`)
  })
  app.onError((err) => errorResponse(toServeError(err)))

  /**
   * The session a request belongs to: its id and secret token travel in headers;
   * stream routes also take `?sid=&st=` (the stream-only token) for clients that
   * cannot set headers. An id alone never gets anywhere.
   */
  async function session(c: Context, streamRoute = false): Promise<SessionRecord> {
    if (streamRoute && !c.req.header(SID_HEADER) && !c.req.header(TOKEN_HEADER)) {
      const sid = c.req.query('sid')
      const scoped = c.req.query('st')
      if (!sid || !scoped) throw new SocketServeError('UNAUTHORIZED', 'missing session id or token')
      const record = sid.length <= 64 ? await store.getSession(sid) : null
      if (!record) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
      if (!safeEqual(await streamToken(record.token), scoped)) throw new SocketServeError('UNAUTHORIZED', 'wrong session token')
      return record
    }
    const { sid, token } = credentials(c)
    return check(await store.getSession(sid), token)
  }

  /** The session id and token headers every request for a session carries. */
  function credentials(c: Context): { sid: string; token: string } {
    const sid = c.req.header(SID_HEADER)
    const token = c.req.header(TOKEN_HEADER)
    if (!sid || !token) throw new SocketServeError('UNAUTHORIZED', 'missing session id or token')
    if (sid.length > 64) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    return { sid, token }
  }

  function check(record: SessionRecord | null, token: string): SessionRecord {
    if (!record) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    if (!safeEqual(record.token, token)) throw new SocketServeError('UNAUTHORIZED', 'wrong session token')
    return record
  }

  async function stream(c: Context, mode: StreamMode): Promise<Response> {
    const transport: Transport = mode === 'sse' ? 'sse' : 'polling'
    if (!opts.transports.includes(transport)) throw new SocketServeError('BAD_REQUEST', `transport ${transport} is disabled`)
    const record = await session(c, true)
    // Polls come often: touch only when the record is getting stale or the transport changed.
    if (Date.now() - record.lastSeen > opts.disconnectTimeout / 4 || record.transport !== transport) {
      store.touch([record.sid], Date.now(), server.limits, transport).catch((err) => console.error('[socket-serve] touch failed:', err))
    }
    const cursor = c.req.header(CURSOR_HEADER)
    const wait = c.req.query('wait') !== '0'
    const receiver = new Receiver(server, record, cursor, mode, wait, c.req.raw.signal)
    const init = {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    }
    return sinkOffered(c.req.raw) ? sourceResponse(receiver, init) : new Response(receiver.stream(), init)
  }

  return app
}

function chooseTransport(asked: unknown, allowed: Transport[]): Transport {
  return allowed.includes(asked as Transport) ? (asked as Transport) : allowed[0]!
}

async function authenticate(
  auth: NonNullable<ServerCore['opts']['auth']>,
  req: Request,
  payload: unknown,
): Promise<unknown> {
  let user: unknown
  try {
    user = await auth(req, payload)
  } catch (err) {
    if (err instanceof SocketServeError) throw err
    throw new SocketServeError('FORBIDDEN', err instanceof Error && err.message ? err.message : 'connection refused')
  }
  if (user === false || user === null) throw new SocketServeError('FORBIDDEN', 'connection refused')
  return user
}

interface IncomingMessage {
  id: number
  event: string
  data?: unknown
  ack?: boolean
}

function parseMessages(body: unknown): IncomingMessage[] {
  const list = isObject(body) ? body.messages : undefined
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) {
    throw new SocketServeError('BAD_REQUEST', `expected { messages: [...] } with 1 to ${MAX_BATCH} messages`)
  }
  let last = 0
  return list.map((m): IncomingMessage => {
    if (!isObject(m) || !Number.isSafeInteger(m.id) || (m.id as number) <= last) {
      throw new SocketServeError('BAD_REQUEST', 'message ids must be increasing positive integers')
    }
    if (!isValidEventName(m.event)) {
      throw new SocketServeError('INVALID_NAME', `invalid event name: ${JSON.stringify(m.event)?.slice(0, 64)}`)
    }
    if (m.ack !== undefined && typeof m.ack !== 'boolean') throw new SocketServeError('BAD_REQUEST', 'ack must be a boolean')
    last = m.id as number
    return { id: last, event: m.event, data: m.data, ack: m.ack as boolean | undefined }
  })
}

/** Runs a store write in the background, retrying it for up to a minute while the store is down. */
function whenStoreIsBack(write: () => Promise<void>): void {
  const until = Date.now() + 60_000
  const attempt = () =>
    write().catch((err) => {
      if (Date.now() < until) setTimeout(attempt, 250)
      else console.error('[socket-serve] store write given up:', err)
    })
  void attempt()
}

/** A handler's reply that JSON cannot carry (too deep, circular) becomes an error ack, so the batch still finishes. */
function serializeAcks(acks: { id: number; data?: unknown; error?: { code: string; message: string } }[]): string {
  try {
    return JSON.stringify(acks)
  } catch {
    return JSON.stringify(
      acks.map((a) => {
        try {
          JSON.stringify(a)
          return a
        } catch {
          return { id: a.id, error: { code: 'HANDLER_ERROR', message: 'the reply cannot be sent as JSON' } }
        }
      }),
    )
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
