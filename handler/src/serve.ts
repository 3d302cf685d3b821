import { nodeMiddleware, type NodeMiddleware } from './adapters/node.js'
import { resolveOptions, type ServeOptions } from './core/options.js'
import { ServerCore } from './core/server.js'
import type { DefaultEventsMap, DefaultSocketData, EventsMap } from './core/typed-events.js'
import { lazyStore } from './store/lazy.js'
import { memoryStore } from './store/memory.js'
import type { Store } from './store/types.js'
import { createRoutes } from './transport/routes.js'

type Api<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData> = Pick<
  ServerCore<L, E, D>,
  'onConnect' | 'onMessage' | 'onDisconnect' | 'use' | 'emit' | 'to' | 'fetchSockets' | 'fetchSocket' | 'sweep' | 'close'
>

/**
 * `io` is a Web-standard handler, `(Request) => Promise<Response>`, with the
 * server API attached: `export default io` works on Bun, Deno, Netlify, Vercel
 * and Workers; io.handlers for Next.js; io.middleware() for Express/node:http.
 */
export type IO<
  L extends EventsMap = DefaultEventsMap,
  E extends EventsMap = DefaultEventsMap,
  D extends DefaultSocketData = DefaultSocketData,
> = ((req: Request) => Promise<Response>) &
  Api<L, E, D> & {
    fetch: (req: Request) => Promise<Response>
    handlers: { GET: (req: Request) => Promise<Response>; POST: (req: Request) => Promise<Response>; OPTIONS: (req: Request) => Promise<Response> }
    middleware: () => NodeMiddleware
    /** Socket.IO's name for `to` */
    in: ServerCore<L, E, D>['to']
    readonly store: Store
    /** @internal the core, for tests and the inspector */
    readonly core: ServerCore<L, E, D>
  }

export function serve<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  SocketData extends DefaultSocketData = DefaultSocketData,
>(options: ServeOptions = {}): IO<ListenEvents, EmitEvents, SocketData> {
  const store = options.store ?? chooseStore(options)
  const core = new ServerCore<ListenEvents, EmitEvents, SocketData>(store, resolveOptions(options))
  const app = createRoutes(core)
  const fetch = (req: Request): Promise<Response> => Promise.resolve(app.fetch(req))

  const io = ((req: Request) => fetch(req)) as IO<ListenEvents, EmitEvents, SocketData>
  Object.assign(io, {
    fetch,
    handlers: { GET: fetch, POST: fetch, OPTIONS: fetch },
    middleware: () => nodeMiddleware(fetch, core.opts.maxPayload),
    onConnect: core.onConnect.bind(core),
    onMessage: core.onMessage.bind(core),
    onDisconnect: core.onDisconnect.bind(core),
    use: core.use.bind(core),
    emit: core.emit.bind(core),
    to: core.to.bind(core),
    in: core.to.bind(core),
    fetchSockets: core.fetchSockets.bind(core),
    fetchSocket: core.fetchSocket.bind(core),
    sweep: core.sweep.bind(core),
    close: core.close.bind(core),
    store,
    core,
  })
  return io
}

/** No store given: Redis when redisUrl or REDIS_URL says so, else the in-memory store. */
function chooseStore(options: ServeOptions): Store {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const url = options.redisUrl ?? env?.REDIS_URL
  if (url) return lazyStore(async () => (await import('./store/redis.js')).redisStore(url))
  const store = memoryStore()
  ;(store as { ownedByServer: boolean }).ownedByServer = true
  return store
}
