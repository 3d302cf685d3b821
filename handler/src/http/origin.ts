import type { HostPolicy } from '../core/options.js'

/**
 * Which server a request was sent to, as the browser saw it, and whether that is us.
 *
 * A DNS-rebinding page (evil.example resolved to 127.0.0.1 or a LAN address) is same-origin with
 * itself: the browser sends `Host: evil.example` and `Origin: http://evil.example`, and attaches no
 * preflight. Only the Host tells it apart, so every request's Host must be one we serve: loopback
 * names and IP literals (a page at an IP address has that IP as its origin: nothing to rebind),
 * the hosts of the configured public origins, and `allowedHosts`.
 */

/** The host (`name[:port]`, lower case) the request names; X-Forwarded-Host only behind a trusted proxy. */
export function requestHost(req: Request, policy: HostPolicy): string {
  const forwarded = policy.trustProxy ? firstValue(req.headers.get('x-forwarded-host')) : undefined
  return (forwarded ?? req.headers.get('host') ?? new URL(req.url).host).toLowerCase()
}

/** `http://host[:port]` of the request; X-Forwarded-Proto only behind a trusted proxy. */
export function requestOrigin(req: Request, policy: HostPolicy): string | undefined {
  const forwarded = policy.trustProxy ? firstValue(req.headers.get('x-forwarded-proto'))?.toLowerCase() : undefined
  const scheme = forwarded === 'http' || forwarded === 'https' ? forwarded : new URL(req.url).protocol.slice(0, -1)
  return normalOrigin(`${scheme}://${requestHost(req, policy)}`)
}

/** Whether we serve this Host at all (any port: a rebinding page picks the name, not the port). */
export function hostAllowed(host: string, policy: HostPolicy): boolean {
  if (policy.allowedHosts === true) return true
  const name = hostName(host)
  if (name === undefined) return false
  if (name === 'localhost' || name.endsWith('.localhost') || isIpLiteral(name)) return true
  for (const origin of policy.publicOrigins) if (new URL(origin).hostname === name) return true
  return policy.allowedHosts.some((h) => (h.startsWith('.') ? name.endsWith(h) || name === h.slice(1) : name === h))
}

/** Same-origin: scheme, host and port all equal (default ports normalised), or a configured public origin. */
export function isOwnOrigin(origin: string, req: Request, policy: HostPolicy): boolean {
  const given = normalOrigin(origin)
  if (given === undefined) return false
  if (policy.publicOrigins.includes(given)) return true
  return given === requestOrigin(req, policy)
}

/** `http://Host:80` -> `http://host`; undefined for anything that is not an http(s) origin. */
function normalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined
    return url.origin
  } catch {
    return undefined
  }
}

function hostName(host: string): string | undefined {
  try {
    const { hostname } = new URL(`http://${host}`)
    return hostname.startsWith('[') ? hostname : hostname.replace(/\.$/, '')
  } catch {
    return undefined
  }
}

/** IPv4 dotted quad (as URL parsing normalises it) or a bracketed IPv6 address. */
function isIpLiteral(name: string): boolean {
  return name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name)
}

function firstValue(header: string | null): string | undefined {
  const v = header?.split(',')[0]?.trim()
  return v ? v : undefined
}
