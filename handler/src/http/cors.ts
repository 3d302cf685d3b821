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
  return { allowed: false }
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

export const forbiddenOrigin = () => new SocketServeError('FORBIDDEN', 'this origin is not allowed')

export const forbiddenHost = (host: string) =>
  new SocketServeError('FORBIDDEN', `Host ${JSON.stringify(host.slice(0, 100))} is not served here: add its origin to serve({ publicOrigin })`)
