import { Hono, type Context } from 'hono'
import { receiveMessages, type IncomingMessage } from '../core/messages.js'
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
import { safeEqual, streamToken } from '../ids.js'
import type { ServerCore } from '../core/server.js'
import { addressKey, admitConnect } from '../core/limits.js'
import type { ClientInfo, SessionRecord } from '../store/types.js'
import { sinkOffered, sourceResponse } from './beside.js'
import { isObject, readJson } from './body.js'
import { publishRoute } from './publish.js'
import { checkOrigin, corsHeaders, forbiddenHost, forbiddenOrigin, preflight } from './cors.js'
import { errorResponse, jsonResponse, toServeError } from './http-errors.js'
import type { WaitUntil } from './background.js'
import type { DeliveryContext } from '../delivery/context.js'
import type { Hub } from '../delivery/hub.js'
import { Receiver, type StreamMode } from '../delivery/receiver.js'

const ROUTES = new Set(['/connect', '/message', '/ack', '/disconnect', '/sse', '/poll', '/_sweep', '/_publish'])
const STREAM_ROUTES = new Set(['/sse', '/poll'])
export const MAX_BATCH = 1000
const PLUGIN_PREFIX = /\/_[a-z][a-z0-9-]*\//
const OK = '{"ok":true}'
/** Bodies up to this size are parsed before their session is checked (the claim checks it). */
const CHEAP_BODY = 16 * 1024
/** A claimed message's lease; the running request renews it every third of it. */
const LEASE_MS = 20_000

/** What serve() hands the routes with each request (Hono's `c.env`). */
export interface RequestEnv {
  /** the platform's waitUntil, for optional work that may outlive the answer */
  waitUntil?: WaitUntil
  /** where the request comes from, as far as the platform (or the clientAddress option) says */
  clientAddress?: () => string | undefined
}

/**
 * Routes match on the path's last segment, so the handler works under any
 * mount path (`/api/socket/connect`, `/socket/connect`, `/connect`).
 */
export function routePath(req: Request): string {
  const url = req.url
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  // A plugin's routes live under `/_<name>/` (the inspector: `/_inspector/...`).
  const plugin = PLUGIN_PREFIX.exec(path)
  if (plugin) return path.slice(plugin.index)
  const slash = path.lastIndexOf('/')
  return slash === -1 ? '/' : path.slice(slash)
}

/** A route's name for error counts: one of ours, a plugin's prefix (`/_inspector/`), else `other` (bounded). */
function routeName(req: Request): string {
  const path = routePath(req)
  if (ROUTES.has(path)) return path
  const plugin = PLUGIN_PREFIX.exec(path)
  return plugin ? plugin[0] : 'other'
}

/** Who connected, bounded: an address, and a user agent cut at 256 characters. */
function clientInfo(address: string | undefined, userAgent: string | undefined): ClientInfo {
  const info: ClientInfo = {}
  if (address) info.address = address.slice(0, 100)
  if (userAgent) info.userAgent = userAgent.slice(0, 256)
  return info
}

/** The socket routes, then each plugin's (`pluginRoutes`), then the JSON 404. */
export function createRoutes(
  server: ServerCore<any, any, any>,
  streams: { hub: Hub; delivery: DeliveryContext },
  pluginRoutes: ((app: Hono<any>) => void)[] = [],
): Hono<{ Bindings: RequestEnv }> {
  const app = new Hono<{ Bindings: RequestEnv }>({ getPath: routePath })
  const { opts, store } = server
  let warnedHost = false

  app.use('*', async (c, next) => {
    const verdict = checkOrigin(c.req.raw, opts.cors, opts.hosts)
    if (!verdict.allowed && verdict.host !== undefined) {
      // A Host we do not serve: a rebinding page, or a deployment that has not named its origin yet.
      if (!warnedHost) {
        warnedHost = true
        console.warn(`[socket-serve] refused a request for Host ${JSON.stringify(verdict.host.slice(0, 100))}: if that is this app, pass serve({ publicOrigin: 'https://<that host>' }) (or allowedHosts / trustProxy)`)
      }
      return errorResponse(forbiddenHost(verdict.host))
    }
    if (!verdict.allowed) {
      // Readable by the refused page (a simple request sees the status), but grants nothing else.
      const res = errorResponse(forbiddenOrigin(c.req.raw))
      server.observer.failure({ kind: 'refused', code: 'FORBIDDEN', message: 'origin not allowed', route: routeName(c.req.raw) })
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
    await next()
    if (verdict.cors) for (const [k, v] of Object.entries(corsHeaders(verdict.cors, opts.cors))) c.res.headers.set(k, v)
    // Nothing runs after the answer on serverless: a due sweep is part of this request. Only an
    // accepted request sweeps: a refused one changes nothing. A stream (SSE, poll) sweeps only when
    // the keep-alive of its session says a sweep would find work (Hub.keepAliveNow and the keep-alive
    // within the stream): idle polls would otherwise cost a sweep every disconnectTimeout / 3.
    if (c.res.status < 400 && !STREAM_ROUTES.has(routePath(c.req.raw))) {
      const sweeping = server.sweepIfDue()
      if (sweeping) await sweeping
    }
    // Optional work (inspector metrics and feed): the platform's waitUntil, else within the request.
    const work = server.observer.pendingWork(!!c.env?.waitUntil)
    if (work) {
      if (c.env?.waitUntil) c.env.waitUntil(work)
      else await work
    }
  })

  app.post('/connect', async (c) => {
    // Counted before the body is read or auth runs: a flood costs one store call per connect.
    await admitConnect(store, opts.limits, addressKey(c.env?.clientAddress?.()))
    const body = (await readJson(c.req.raw, opts.maxPayload)) ?? {}
    if (!isObject(body)) throw new SocketServeError('BAD_REQUEST', 'connect expects a JSON object')
    const transport = chooseTransport(body.transport, opts.transports)
    const user = opts.auth ? await authenticate(opts.auth, c.req.raw, body.auth) : undefined
    // Only when the inspector asks: the address is looked up lazily, and is a few bytes per session.
    const client = server.observer.wantsClients ? clientInfo(c.env?.clientAddress?.(), c.req.header('user-agent')) : undefined
    const record = await server.connect(c.req.raw, user, transport, client)
    const reply: ConnectReply = {
      sid: record.sid,
      token: record.token,
      streamToken: await streamToken(record.token),
      pingInterval: opts.pingInterval,
      pingTimeout: opts.pingTimeout,
      maxPayload: opts.maxPayload,
      transports: opts.transports,
      protocol: PROTOCOL_VERSION,
      maxBatch: MAX_BATCH,
      maxInFlight: opts.maxInFlight,
    }
    return jsonResponse(JSON.stringify(reply))
  })

  app.post('/message', async (c) => {
    const { sid, token } = credentials(c)
    // The claim checks the token anyway; a body that is large (or of unknown size) is worth a
    // store read first, so nobody without a session makes the server parse a megabyte.
    if (!(Number(c.req.header('content-length')) <= CHEAP_BODY)) check(await store.getSession(sid), token)
    const body = await readJson(c.req.raw, opts.maxPayload)
    const messages = parseMessages(body)
    const reply = await receiveMessages(
      {
        sessions: store,
        limits: { ...server.limits, leaseMs: LEASE_MS, rate: opts.rate },
        admit: async (record, t) => server.revive(check(record, t)),
        run: (record, runnable, onStarted) => server.runMessages(record, runnable, onStarted),
        touch: (record) => refreshLiveness(record, Date.now()).touched,
      },
      sid,
      token,
      messages,
      answeredUpTo(body),
    )
    return jsonResponse(reply, 200, c.req.raw)
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
    return jsonResponse(OK, 200, c.req.raw)
  })

  app.post('/disconnect', async (c) => {
    const record = await session(c)
    await server.endSession(record.sid, 'client namespace disconnect', 'io client disconnect')
    return jsonResponse(OK)
  })

  app.get('/sse', (c) => stream(c, 'sse'))
  app.get('/poll', (c) => stream(c, 'poll'))

  // A platform's cron (Vercel Cron, Netlify Scheduled Functions, Workers Cron Triggers) ends
  // vanished sessions here; the answer comes once every ending, onDisconnect included, is done.
  app.on(['GET', 'POST'], '/_sweep', async (c) => {
    if (!opts.cronSecret) throw new SocketServeError('NOT_FOUND', 'no route /_sweep')
    const auth = c.req.header('authorization') ?? ''
    if (!safeEqual(auth, `Bearer ${opts.cronSecret}`)) throw new SocketServeError('UNAUTHORIZED', 'wrong or missing cron secret')
    const ended = await server.sweep()
    return jsonResponse(`{"ended":${ended}}`)
  })

  publishRoute(app, server, opts.publishKey, opts.publishRateLimit)

  for (const add of pluginRoutes) add(app)

  // A known route with another method: 405; anything else: 404.
  app.all('*', (c) => {
    const path = routePath(c.req.raw)
    if (ROUTES.has(path)) throw new SocketServeError('METHOD_NOT_ALLOWED', `${c.req.method} is not allowed on ${path}`)
    throw new SocketServeError('NOT_FOUND', `no route ${path}`)
  })
  app.onError((err, c) => {
    const e = toServeError(err)
    // No sid: the header is not proven yet, and a forged one must not write to another session's errors.
    server.observer.failure({ kind: 'refused', code: e.code, message: e.message, route: routeName(c.req.raw) })
    return errorResponse(e)
  })

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
      const record = sid.length <= 64 ? await streamSession(sid) : null
      if (!record) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
      if (!safeEqual(await streamToken(record.token), scoped)) throw new SocketServeError('UNAUTHORIZED', 'wrong session token')
      return server.revive(record, true)
    }
    const { sid, token } = credentials(c)
    // A session ended for being idle comes back when its client does, within the recovery window.
    return server.revive(check(await (streamRoute ? streamSession(sid) : store.getSession(sid)), token), streamRoute)
  }

  /**
   * A stream's session: as this instance last read it while it watches the session's direct log
   * (nothing a stream needs of the record can change without an entry there), else from the store,
   * kept for the session's next poll if the watch was live before the read began.
   */
  async function streamSession(sid: string): Promise<SessionRecord | null> {
    const known = streams.hub.knownSession(sid)
    if (known) return known
    const stamp = streams.hub.sessionStamp(sid)
    const record = await store.getSession(sid)
    if (record && stamp) streams.hub.rememberSession(record, stamp)
    return record
  }

  /**
   * A request from the session's client keeps it live (DESIGN §3: ended after disconnectTimeout with
   * no open stream and no request), as seldom as stays correct:
   * - a stream request (`transport`): a full touch (record TTL, lastSeen, transport) only once a
   *   quarter of the TTL has passed or the transport changed, and a keep-alive of the session (one
   *   call) only when its refresh is due (Hub.keepAliveDueSoon); otherwise its last touch, or this
   *   instance's keep-alive of its open stream, keeps it live for longer than disconnectTimeout;
   * - a message: nothing while the session has a stream open here (this instance's keep-alive
   *   refreshes it as long as the stream is open, and the claim refreshed the record's TTL), else a
   *   full touch (the request may be the only sign of the client).
   * `full`: whether this is a full touch. The caller awaits `touched`.
   */
  function refreshLiveness(record: SessionRecord, now: number, transport?: Transport): { touched?: Promise<void>; full: boolean } {
    const hub = streams.hub
    const full =
      now - record.lastSeen > (server.limits.ttl * 1000) / 4 || (transport === undefined ? !hub.hasStream(record.sid) : record.transport !== transport)
    if (full) {
      const touched = store.touch([record.sid], now, server.limits, transport).then((ended) => {
        if (ended.length === 0) hub.noteTouched(record.sid, now, transport)
        else hub.forgetSession(record.sid)
      })
      return { touched, full }
    }
    // (A kicked session's stream only reads on to its disconnect frame: nothing to keep alive.)
    const due = transport !== undefined && record.ended === undefined && hub.keepAliveDueSoon(record.sid, record.lastSeen, now)
    return { touched: due ? hub.keepAliveNow(record.sid) : undefined, full }
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
    // The stream waits for the refresh before it opens, so it is done within the request.
    const now = Date.now()
    const { touched, full } = refreshLiveness(record, now, transport)
    touched?.catch(() => {}) // the stream reports a failure when it awaits it; a client gone first does not
    const cursor = c.req.header(CURSOR_HEADER)
    const wait = c.req.query('wait') !== '0'
    const receiver = new Receiver(streams.delivery, streams.hub.forRequest(), record, cursor, mode, wait, c.req.raw.signal, touched, full ? now : record.lastSeen)
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

/** `answered`: the client has had every message up to this id answered (absent: one POST at a time). */
function answeredUpTo(body: unknown): number | undefined {
  const n = isObject(body) ? body.answered : undefined
  if (n === undefined) return undefined
  if (!Number.isSafeInteger(n) || (n as number) < 0) throw new SocketServeError('BAD_REQUEST', 'answered must be a non-negative integer')
  return n as number
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

