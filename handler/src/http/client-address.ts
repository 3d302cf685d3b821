/**
 * The address of the client a request came from, as the platform reports it (never a header a
 * client could write): Node's socket (the adapter attaches it), Deno's `info.remoteAddr`, Bun's
 * `server.requestIP(req)`, Netlify's `context.ip`. Undefined where the platform says nothing: limits
 * keyed on it then fall back to their global bound. `serve({ clientAddress(req) })` overrides it
 * (behind a proxy the app trusts, read its header there).
 */

const addresses = new WeakMap<Request, string>()

/** The Node adapter: `req.socket.remoteAddress`. */
export function attachClientAddress(req: Request, address: string | undefined): void {
  if (address) addresses.set(req, address)
}

/** `env` and `ctx` are io.fetch's second and third arguments (Deno: ServeHandlerInfo, Bun: the Server, Netlify: its context). */
export function clientAddress(req: Request, env?: unknown, ctx?: unknown): string | undefined {
  const attached = addresses.get(req)
  if (attached) return attached
  const e = env as { remoteAddr?: { hostname?: unknown }; requestIP?: unknown; ip?: unknown } | null | undefined
  const deno = e?.remoteAddr?.hostname
  if (typeof deno === 'string') return deno
  if (typeof e?.requestIP === 'function') {
    try {
      const ip = (e.requestIP as (r: Request) => { address?: unknown } | null).call(e, req)?.address
      if (typeof ip === 'string') return ip
    } catch {
      // not Bun's server after all
    }
  }
  if (typeof e?.ip === 'string') return e.ip
  const c = ctx as { ip?: unknown } | null | undefined
  if (typeof c?.ip === 'string') return c.ip
  return undefined
}
