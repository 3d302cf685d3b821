import { SocketServeError } from '@socket-serve/client/protocol'
import type { CorsOptions } from '../core/options.js'

// authorization: the inspector's bearer token (an embedding admin page on another origin sends it).
const ALLOW_HEADERS = 'content-type, authorization, x-socket-sid, x-socket-token, last-event-id'

export type OriginVerdict = { allowed: true; cors?: string } | { allowed: false }

/**
 * Same-origin by default: a browser request whose Origin names another host is
 * refused unless the configuration allows that origin. Requests without an
 * Origin (servers, CLI tools) are not browser cross-origin requests.
 */
export function checkOrigin(req: Request, cors: CorsOptions | undefined): OriginVerdict {
  const origin = req.headers.get('origin')
  if (!origin) return { allowed: true }
  if (cors && originAllowed(origin, cors)) return { allowed: true, cors: origin }
  if (sameHost(origin, req)) return { allowed: true }
  return { allowed: false }
}

function originAllowed(origin: string, cors: CorsOptions): boolean {
  const o = cors.origin
  if (typeof o === 'function') return o(origin)
  if (Array.isArray(o)) return o.includes(origin)
  return o === '*' || o === origin
}

/**
 * The Origin names this server: its Host, or the host a proxy in front of it says the browser
 * used (X-Forwarded-Host: a dev proxy with changeOrigin rewrites Host). A cross-origin page
 * cannot add X-Forwarded-Host itself: that needs a preflight, and ours never allows the header.
 */
function sameHost(origin: string, req: Request): boolean {
  try {
    const { host } = new URL(origin)
    const forwarded = req.headers.get('x-forwarded-host')?.split(',')[0]?.trim()
    return host === (req.headers.get('host') ?? new URL(req.url).host) || host === forwarded
  } catch {
    return false
  }
}

export function corsHeaders(origin: string, cors: CorsOptions | undefined): Record<string, string> {
  const h: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'retry-after',
    vary: 'Origin',
  }
  if (cors?.credentials) h['access-control-allow-credentials'] = 'true'
  return h
}

export function preflight(origin: string, cors: CorsOptions | undefined): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(origin, cors),
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': ALLOW_HEADERS,
      'access-control-max-age': '600',
    },
  })
}

export const forbiddenOrigin = () => new SocketServeError('FORBIDDEN', 'this origin is not allowed')
