import type { Hono } from 'hono'
import { BROADCAST_ROOM, SocketServeError } from '@socket-serve/client/protocol'
import { safeEqual } from '../ids.js'
import type { ServerCore } from '../core/server.js'
import { checkEmitted, checkRoom } from '../core/socket.js'
import { isObject, readJson } from './body.js'
import { jsonResponse } from './http-errors.js'

/** How often `POST {base}/_publish` may be called, per instance (a fixed window). */
export interface PublishLimit {
  requests: number
  /** ms, default 1000 */
  interval?: number
}

/**
 * `POST {base}/_publish`: emits for a service in any language, as Pusher's and Azure Web PubSub's
 * REST APIs do. Body `{ room?, to?, event, data? }` (neither room nor to: everyone), with
 * `Authorization: Bearer <publishKey>`. 404 unless `publishKey` is set.
 */
export function publishRoute(app: Hono<any>, server: ServerCore<any, any, any>, key: string | undefined, limit: PublishLimit): void {
  const window = fixedWindow(limit.requests, limit.interval ?? 1000)
  app.post('/_publish', async (c) => {
    if (!key) throw new SocketServeError('NOT_FOUND', 'no route /_publish')
    if (!(await sameSecret(c.req.header('authorization') ?? '', `Bearer ${key}`))) {
      throw new SocketServeError('UNAUTHORIZED', 'wrong or missing publish key')
    }
    const retryAfter = window.take(Date.now())
    if (retryAfter > 0) throw new SocketServeError('RATE_LIMITED', 'too many publish requests', { retryAfter })
    const body = await readJson(c.req.raw, server.opts.maxPayload)
    if (!isObject(body)) throw new SocketServeError('BAD_REQUEST', 'expected { room?, to?, event, data? }')
    const { room, to, event, data } = body
    checkEmitted(event)
    if (room !== undefined && to !== undefined) throw new SocketServeError('BAD_REQUEST', 'give room or to, not both')
    if (to !== undefined) {
      if (typeof to !== 'string' || to.length > 64 || !(await server.store.getSession(to))) {
        throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
      }
      await server.emitTo({ sid: to }, event, data)
    } else {
      if (room !== undefined) checkRoom(room)
      await server.emitTo({ room: (room as string | undefined) ?? BROADCAST_ROOM }, event, data)
    }
    return jsonResponse('{"ok":true}')
  })
}

/** Compares digests, so neither the content nor the length of the key shows in the timing. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (s: string) => {
    const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  }
  return safeEqual(await digest(given), await digest(expected))
}

/** At most `max` takes per `ms` window; take() returns 0, or the seconds until the next window. */
function fixedWindow(max: number, ms: number): { take(now: number): number } {
  let start = 0
  let used = 0
  return {
    take(now) {
      if (now - start >= ms) {
        start = now - (now % ms)
        used = 0
      }
      if (used >= max) return Math.max(1, Math.ceil((start + ms - now) / 1000))
      used++
      return 0
    },
  }
}
