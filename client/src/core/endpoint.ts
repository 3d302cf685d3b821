/** Absolute URLs of every route under the mount path the application gave to `connect`. */
export interface Routes {
  connect: string
  message: string
  ack: string
  disconnect: string
  sse: string
  poll: string
  /** the first poll of a (re)connection: answers at once */
  pollNow: string
}

/**
 * Resolves `url` (relative to the page in browsers, absolute elsewhere) and
 * derives each route by path suffix, keeping any query string the app added.
 */
export function resolveRoutes(url: string | URL): Routes {
  const page = (globalThis as { location?: { href?: string } }).location?.href
  let base: URL
  try {
    base = new URL(url, page)
  } catch {
    throw new TypeError(`socket-serve: cannot resolve "${String(url)}" (outside a browser page, pass an absolute URL)`)
  }
  base.hash = ''
  const path = base.pathname.replace(/\/+$/, '')
  const route = (suffix: string, query?: Record<string, string>) => {
    const u = new URL(base.href)
    u.pathname = `${path}/${suffix}`
    if (query) for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
    return u.href
  }
  return {
    connect: route('connect'),
    message: route('message'),
    ack: route('ack'),
    disconnect: route('disconnect'),
    sse: route('sse'),
    poll: route('poll'),
    pollNow: route('poll', { wait: '0' }),
  }
}
