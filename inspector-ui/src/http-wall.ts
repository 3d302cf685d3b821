import { SseParser } from '@socket-serve/client/sse'
import {
  InspectorError,
  type FeedEvent,
  type FeedQuery,
  type FeedStatus,
  type InspectorRequest,
  type InspectorResponse,
  type SessionPageQuery,
} from './types.js'
import type { InspectorWall } from './wall.js'

export interface HttpWallOptions {
  /** The base of the socket routes, e.g. `/api/socket` or `https://host/api/socket`. */
  endpoint: string
  /** The inspector token (`serve({ inspector: { token } })`), sent as `Authorization: Bearer`. */
  token: string
  /** Defaults to the global `fetch`. */
  fetch?: typeof fetch
  /** First delay before reconnecting the live feed after an error, doubled up to `maxRetryDelay`. */
  retryDelay?: number
  maxRetryDelay?: number
}

/** The inspector's URL for a route under `{endpoint}/_inspector/`. */
export function inspectorUrl(endpoint: string, route: string): string {
  return `${endpoint.replace(/\/+$/, '')}/_inspector/${route}`
}

/** Where each request goes: the one table between the wall's requests and INSPECTOR.md's routes. */
export function routeOf(request: InspectorRequest): { method: 'GET' | 'POST'; route: string; body?: unknown } {
  switch (request.type) {
    case 'snapshot':
      return { method: 'GET', route: sessionsRoute({ limit: request.limit, sort: request.sort }).replace(/^sessions/, 'snapshot') }
    case 'sessions':
      return { method: 'GET', route: sessionsRoute(request) }
    case 'session':
      return { method: 'GET', route: `sessions/${encodeURIComponent(request.id)}` }
    case 'metrics':
      return { method: 'GET', route: 'metrics' }
    case 'feed':
      return { method: 'GET', route: feedRoute(request) }
    case 'instances':
      return { method: 'GET', route: 'instances' }
    case 'actions':
      return { method: 'GET', route: 'actions' }
    case 'emit':
      return { method: 'POST', route: 'emit', body: { to: request.to, event: request.event, data: request.data } }
    case 'disconnect':
      return { method: 'POST', route: 'disconnect', body: { sid: request.sid } }
  }
}

/** `sessions?limit=&cursor=&q=&health=&sort=`, only the parameters given. */
export function sessionsRoute(query: SessionPageQuery): string {
  const params = new URLSearchParams()
  for (const key of ['limit', 'cursor', 'q', 'health', 'sort'] as const) {
    const value = query[key]
    if (value !== undefined && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `sessions?${text}` : 'sessions'
}

/** `feed?before=&q=&limit=`, only the parameters given. */
export function feedRoute(query: FeedQuery): string {
  const params = new URLSearchParams()
  for (const key of ['before', 'q', 'limit'] as const) {
    const value = query[key]
    if (value !== undefined && value !== '') params.set(key, String(value))
  }
  const text = params.toString()
  return text ? `feed?${text}` : 'feed'
}

/** Reads the error shape `{ error: { code, message } }`, falling back on the status. */
export async function errorFromResponse(response: Response): Promise<InspectorError> {
  let code = response.status === 401 ? 'UNAUTHORIZED' : response.status === 403 ? 'FORBIDDEN' : response.status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR'
  let message = `${response.status} ${response.statusText}`.trim()
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } }
    if (typeof body?.error?.code === 'string') code = body.error.code
    if (typeof body?.error?.message === 'string') message = body.error.message
  } catch {
    // Not JSON (a proxy's page, an HTML 404): the status says enough.
  }
  return new InspectorError(code, message, response.status)
}

/** Parses one feed `data:` payload; a malformed line is dropped rather than stopping the feed. */
export function parseFeedData(data: string): FeedEvent | undefined {
  try {
    const value = JSON.parse(data) as FeedEvent
    if (value && typeof value === 'object' && typeof value.type === 'string') {
      if (typeof value.at !== 'number') value.at = Date.now()
      return value
    }
  } catch {
    // fall through
  }
  return undefined
}

/**
 * What to fix when fetch itself failed: the browser says only "Failed to fetch" for a server that
 * is down, a wrong URL and a CORS refusal alike, so name each cause and its fix.
 */
export function networkHint(endpoint: string, error: unknown, pageOrigin = globalThis.location?.origin): string {
  const detail = (error as Error)?.message ?? String(error)
  let target: URL | undefined
  try {
    target = new URL(endpoint, pageOrigin)
  } catch {
    return `"${endpoint}" is not a valid endpoint URL (${detail}).`
  }
  const crossOrigin = pageOrigin !== undefined && pageOrigin !== 'null' && target.origin !== pageOrigin
  const reach = `Could not reach ${target.origin}${target.pathname.replace(/\/+$/, '')}/_inspector/ (${detail}).`
  if (!crossOrigin) return `${reach} Is the server running, and is the endpoint path right?`
  return (
    `${reach} This page (${pageOrigin}) is another origin: the server must list it, e.g. ` +
    `serve({ allowedOrigins: ['${pageOrigin}'] }), or the browser blocks the answer. Otherwise check that ` +
    `the server is running and the endpoint URL is right.`
  )
}

/** A wall over the inspector HTTP API (handler/INSPECTOR.md). */
export function httpWall(options: HttpWallOptions): InspectorWall {
  const { endpoint, token } = options
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const retryDelay = options.retryDelay ?? 1000
  const maxRetryDelay = options.maxRetryDelay ?? 15_000
  const auth = { authorization: `Bearer ${token}` }

  const listeners = new Set<{ onEvent: (event: FeedEvent) => void; onStatus?: (status: FeedStatus) => void }>()
  let status: FeedStatus = 'closed'
  let stop: (() => void) | undefined
  /** the last row received: a reconnect resumes after it, so no row is lost or repeated */
  let lastRow: string | undefined

  const setStatus = (next: FeedStatus) => {
    if (next === status) return
    status = next
    for (const l of listeners) l.onStatus?.(next)
  }

  const startFeed = () => {
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    let delay = retryDelay
    let stopped = false

    const connect = async () => {
      setStatus(status === 'closed' || status === 'connecting' ? 'connecting' : 'reconnecting')
      let openedAt = 0
      try {
        const route = lastRow ? `events?after=${encodeURIComponent(lastRow)}` : 'events'
        const response = await doFetch(inspectorUrl(endpoint, route), {
          headers: { ...auth, accept: 'text/event-stream' },
          cache: 'no-store',
          signal: controller.signal,
        })
        if (!response.ok || !response.body) throw await errorFromResponse(response)
        openedAt = Date.now()
        setStatus('open')
        const parser = new SseParser((message) => {
          if (message.event !== 'message') return
          const event = parseFeedData(message.data)
          if (!event) return
          if (event.id) lastRow = event.id
          for (const l of [...listeners]) l.onEvent(event)
        })
        // The parser drops the stream's BOM itself: the decoder must keep it.
        const reader = response.body.pipeThrough(new TextDecoderStream('utf-8', { ignoreBOM: true })).getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          parser.push(value)
        }
      } catch (error) {
        // Reconnect below, unless we were stopped. A refusal (bad token, no inspector) will not
        // mend itself soon: retry, but at the slowest pace.
        const status = (error as InspectorError)?.status
        if (status === 401 || status === 403 || status === 404) delay = maxRetryDelay
      }
      if (stopped) return
      // A stream that lived a while and ended (a server's stream time limit) reconnects at once.
      const livedAWhile = openedAt > 0 && Date.now() - openedAt > 5000
      const wait = livedAWhile ? 0 : delay
      delay = livedAWhile ? retryDelay : Math.min(delay * 2, maxRetryDelay)
      setStatus('reconnecting')
      timer = setTimeout(() => void connect(), wait)
    }

    void connect()
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
      controller.abort()
      setStatus('closed')
    }
  }

  return {
    listen(onEvent, onStatus) {
      const entry = { onEvent, onStatus }
      listeners.add(entry)
      if (!stop) stop = startFeed()
      onStatus?.(status)
      return () => {
        if (!listeners.delete(entry)) return
        if (listeners.size === 0 && stop) {
          const s = stop
          stop = undefined
          s()
        }
      }
    },

    async send<R extends InspectorRequest>(request: R): Promise<InspectorResponse<R>> {
      const { method, route, body } = routeOf(request)
      let response: Response
      try {
        response = await doFetch(inspectorUrl(endpoint, route), {
          method,
          headers: body === undefined ? { ...auth } : { ...auth, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          cache: 'no-store',
        })
      } catch (error) {
        throw new InspectorError('NETWORK_ERROR', networkHint(endpoint, error))
      }
      if (!response.ok) throw await errorFromResponse(response)
      return (await response.json()) as InspectorResponse<R>
    },
  }
}
