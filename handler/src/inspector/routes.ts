import type { Context, Hono } from 'hono'
import { isValidEventName, isValidRoomName, SocketServeError } from '@socket-serve/client/protocol'
import { safeEqual } from '../ids.js'
import type { PluginContext } from '../plugin.js'
import { isObject, readJson } from '../http/body.js'
import { jsonResponse } from '../http/http-errors.js'
import { routePath } from '../http/routes.js'
import { feedRoutes } from './feed-routes.js'
import { listInstances } from './instances.js'
import { Recorder } from './recorder.js'
import { SESSION_SORTS, sessionDetail, sessionPage, snapshot, type Health, type SessionSort } from './snapshot.js'
import { TokenThrottle } from './throttle.js'

const HEALTH = new Set<Health>(['live', 'stale', 'never-streamed', 'not-reading', 'backlog'])

/** The admin action log: the last MAX_ACTIONS actions, kept a week (store list, every instance). */
const ACTIONS_LIST = 'admin-actions'
const MAX_ACTIONS = 200
const ACTIONS_KEEP_SECONDS = 7 * 24 * 3600
/** A room emit's reach is counted up to this many members. */
const MAX_COUNTED = 100_000

export interface AdminAction {
  at: number
  /** the token holder, known by client address (one token: the address is what tells them apart) */
  by: string
  action: 'emit' | 'disconnect'
  /** `sid:<id>`, `room:<name>` or `all` */
  target: string
  event?: string
  /** how many sessions it reached */
  sessions: number
}

export interface InspectorOptions {
  /** the bearer token every inspector request must carry */
  token: string
  /** hide admin actions (emit, disconnect) */
  readonly?: boolean
}

/** The inspector API of INSPECTOR.md, under `{base}/_inspector/`. */
export function inspectorRoutes(app: Hono<any>, ctx: PluginContext, config: InspectorOptions, recorder: Recorder): void {
  const server = { store: ctx.store, opts: { ...ctx.options, inspector: config } }
  const throttle = new TokenThrottle()

  app.use('/_inspector/*', async (c, next) => {
    // Throttled before the comparison: a throttled address learns nothing, even with the right token.
    const address = (c.env as { clientAddress?: () => string | undefined } | undefined)?.clientAddress?.()
    const wait = throttle.retryAfter(address)
    if (wait > 0) throw new SocketServeError('RATE_LIMITED', 'too many wrong inspector tokens; wait', { retryAfter: Math.ceil(wait / 1000) })
    const header = c.req.header('authorization')
    // `?token=` only where a header cannot be sent (EventSource): the feed. Never on admin actions,
    // whose URLs end up in logs and histories.
    const queryAllowed = c.req.method === 'GET' && routePath(c.req.raw) === '/_inspector/events'
    const given = header?.startsWith('Bearer ') ? header.slice(7) : queryAllowed ? c.req.query('token') : undefined
    if (!given || !safeEqual(given, config.token)) {
      if (given) throttle.failed(address) // a guess; a request with no token at all is not one
      throw new SocketServeError('UNAUTHORIZED', 'inspector token required (Authorization: Bearer <token>)')
    }
    await next()
  })

  app.get('/_inspector/snapshot', async (c) => {
    const limit = Math.min(100_000, Math.max(1, Number(c.req.query('limit') ?? 10_000) || 10_000))
    return jsonResponse(JSON.stringify(await snapshot(server, limit, sortOf(c.req.query('sort')))))
  })

  app.get('/_inspector/sessions', async (c) => {
    const limit = Math.min(500, Math.max(1, Number(c.req.query('limit') ?? 100) || 100))
    const cursor = Math.max(0, Math.floor(Number(c.req.query('cursor') ?? 0) || 0))
    const health = c.req.query('health')
    if (health !== undefined && !HEALTH.has(health as Health)) {
      throw new SocketServeError('BAD_REQUEST', `health must be one of ${[...HEALTH].join(', ')}`)
    }
    const sort = sortOf(c.req.query('sort'))
    const q = c.req.query('q')?.slice(0, 200) || undefined
    const query = { cursor, limit, q, health: health as Health | undefined, sort }
    return jsonResponse(JSON.stringify(await sessionPage(server, query)))
  })

  app.get('/_inspector/sessions/:sid', async (c) => {
    const sid = c.req.param('sid')
    const [detail, errors] = await Promise.all([sessionDetail(server, sid), recorder.metrics.sessionErrors(sid)])
    if (!detail) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    return jsonResponse(JSON.stringify({ ...detail, errors }))
  })

  app.get('/_inspector/metrics', async () => jsonResponse(JSON.stringify(await recorder.metrics.report())))

  // The instances heard from lately (this one's record written first when due, so it is never missing) and the store's health.
  app.get('/_inspector/instances', async () => {
    if (recorder.beat.due()) await recorder.beat.write()
    const [instances, store] = await Promise.all([
      listInstances(ctx.store, recorder.instance, ctx.options.pingInterval),
      ctx.store.health ? ctx.store.health().catch(() => undefined) : undefined,
    ])
    return jsonResponse(JSON.stringify({ time: Date.now(), instances, store: store ?? null }))
  })

  feedRoutes(app, ctx, recorder)

  app.post('/_inspector/emit', async (c) => {
    writable()
    const body = await readJson(c.req.raw, server.opts.maxPayload)
    if (!isObject(body) || !isObject(body.to) || !isValidEventName(body.event)) {
      throw new SocketServeError('BAD_REQUEST', 'expected { to: { sid } | { room } | { all: true }, event, data }')
    }
    const { to, event, data } = body as { to: { sid?: unknown; room?: unknown; all?: unknown }; event: string; data: unknown }
    // `sessions`: how many sessions the emit was stored for (the room's members, or every live
    // session, counted as it was sent).
    let sessions: number
    let target: string
    if (typeof to.sid === 'string') {
      const socket = await ctx.api.fetchSocket(to.sid)
      if (!socket) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
      await socket.emit(event, data)
      sessions = 1
      target = `sid:${to.sid}`
    } else if (isValidRoomName(to.room)) {
      const room = to.room
      ;[sessions] = await Promise.all([ctx.store.members(room, MAX_COUNTED).then((m) => m.length), ctx.api.to(room).emit(event, data)])
      target = `room:${room}`
    } else if (to.all === true) {
      ;[sessions] = await Promise.all([ctx.store.liveCount(), ctx.api.emit(event, data)])
      target = 'all'
    } else {
      throw new SocketServeError('BAD_REQUEST', 'to needs a sid, a valid room name, or all: true')
    }
    await audit(c, { action: 'emit', target, event, sessions })
    return jsonResponse(JSON.stringify({ ok: true, sessions }))
  })

  app.get('/_inspector/actions', async () => {
    const actions = (await ctx.store.readRecent(ACTIONS_LIST)).map((line) => JSON.parse(line) as AdminAction)
    return jsonResponse(JSON.stringify({ actions }))
  })

  app.post('/_inspector/disconnect', async (c) => {
    writable()
    const body = await readJson(c.req.raw, server.opts.maxPayload)
    const sid = isObject(body) ? body.sid : undefined
    if (typeof sid !== 'string') throw new SocketServeError('BAD_REQUEST', 'expected { sid }')
    if (!(await ctx.api.disconnect(sid))) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    await audit(c, { action: 'disconnect', target: `sid:${sid}`, sessions: 1 })
    return jsonResponse('{"ok":true,"sessions":1}')
  })

  function sortOf(sort: string | undefined): SessionSort | undefined {
    if (sort !== undefined && !SESSION_SORTS.includes(sort as SessionSort)) {
      throw new SocketServeError('BAD_REQUEST', `sort must be one of ${SESSION_SORTS.join(', ')}`)
    }
    return sort as SessionSort | undefined
  }

  /** Logs an admin action that took effect: who (the token holder, by client address), what, when. */
  async function audit(c: Context, what: Omit<AdminAction, 'at' | 'by'>): Promise<void> {
    const by = (c.env as { clientAddress?: () => string | undefined } | undefined)?.clientAddress?.() ?? 'unknown address'
    const entry: AdminAction = { at: Date.now(), by, ...what }
    await ctx.store.pushRecent(ACTIONS_LIST, [JSON.stringify(entry)], MAX_ACTIONS, ACTIONS_KEEP_SECONDS)
  }

  function writable(): void {
    if (config?.readonly) throw new SocketServeError('FORBIDDEN', 'the inspector is read-only')
  }
}
