import { SocketServeError } from '@socket-serve/client/protocol'
import type { CorsOptions, HostPolicy } from '../core/options.js'
import { hostAllowed, isOwnOrigin, requestHost } from './origin.js'

const ALLOW_HEADERS = 'content-type, x-socket-sid, x-socket-token, last-event-id'
/** Listed origins may also send the inspector's `Authorization: Bearer` header. */
const ALLOW_HEADERS_LISTED = `${ALLOW_HEADERS}, authorization`

/**
 * `cors`: the request is from an allowed other origin (answer with CORS headers for it);
 * `host`: refused for its Host, not its Origin (nothing is granted, not even reading the refusal).
 */
export type OriginVerdict = { allowed: true; cors?: string } | { allowed: false; host?: string }

/**
 * Every request's Host must be one we serve (origin.ts: the DNS-rebinding defence). Then,
 * same-origin by default: a browser request whose Origin is not this server's (scheme, host and
 * port) is refused unless the configuration allows that origin. Requests without an Origin
 * (servers, CLI tools, same-origin GETs) are not browser cross-origin requests.
 */
export function checkOrigin(req: Request, cors: CorsOptions | undefined, hosts: HostPolicy): OriginVerdict {
  const host = requestHost(req, hosts)
  if (!hostAllowed(host, hosts)) return { allowed: false, host }
  const origin = req.headers.get('origin')
  if (!origin) return { allowed: true }
  if (cors && originAllowed(origin, cors)) return { allowed: true, cors: origin }
  if (isOwnOrigin(origin, req, hosts)) return { allowed: true }
  // A plugin route (the inspector) called with its bearer token in a header: no page can send that
  // header from another origin without a preflight we grant only to listed origins, so such a
  // caller is a server, a tool or an extension (the DevTools panel), not a page riding on a
  // user's ambient credentials. It gets no CORS headers: no page could read the answer anyway.
  if (bearerPluginRequest(req)) return { allowed: true }
  return { allowed: false }
}

const PLUGIN_ROUTE = /\/_[a-z][a-z0-9-]*\//

function bearerPluginRequest(req: Request): boolean {
  if (req.method === 'OPTIONS' || !req.headers.get('authorization')?.startsWith('Bearer ')) return false
  const q = req.url.indexOf('?')
  return PLUGIN_ROUTE.test(q === -1 ? req.url : req.url.slice(0, q))
}

/** `null` (sandboxed frames, file: pages, some redirects) is anyone: only an exact listing allows it. */
function originAllowed(origin: string, cors: CorsOptions): boolean {
  const o = cors.origin
  if (Array.isArray(o)) return o.includes(origin)
  if (origin === 'null') return o === 'null'
  if (typeof o === 'function') return o(origin) === true
  return o === '*' || o === origin
}

/** `origin: '*'` answers `*` and never allows credentials, whatever `credentials` says. */
export function corsHeaders(origin: string, cors: CorsOptions | undefined): Record<string, string> {
  if (cors?.origin === '*') return { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' }
  const h: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'retry-after',
    vary: 'Origin',
  }
  if (cors?.credentials) h['access-control-allow-credentials'] = 'true'
  return h
}

export function preflight(origin: string, cors: CorsOptions | undefined): Response {
  // The inspector's bearer header only for origins the app named, never for `*`.
  const listed = cors?.origin !== '*'
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin, cors),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': listed ? ALLOW_HEADERS_LISTED : ALLOW_HEADERS,
      'access-control-max-age': '600',
    },
  })
}

export const forbiddenHost = (host: string) =>
  new SocketServeError('FORBIDDEN', `Host ${JSON.stringify(host.slice(0, 100))} is not served here: add its origin to serve({ publicOrigin })`)

/**
 * The refusal names both hosts and the usual cause, so a developer behind a dev proxy (Vite's
 * `changeOrigin` rewrites Host and sends no X-Forwarded-Host unless `xfwd`, which counts only with
 * `trustProxy`) sees the fix.
 */
export function forbiddenOrigin(req: Request): SocketServeError {
  const host = req.headers.get('host') ?? new URL(req.url).host
  return new SocketServeError(
    'FORBIDDEN',
    `origin ${req.headers.get('origin')} is not allowed: it is not this server's host (${host}). ` +
      'Behind a proxy that rewrites Host (Vite changeOrigin), send X-Forwarded-Host (Vite: xfwd: true) to a server started with serve({ trustProxy: true }), or add the origin to allowedOrigins',
  )
}
