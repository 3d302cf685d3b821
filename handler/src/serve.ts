import { nodeMiddleware, type NodeMiddleware } from './adapters/node.js'
import { resolveOptions, type ServeOptions } from './core/options.js'
import type { EventSchemas, SchemaEvents } from './core/schemas.js'
import { combineObservers } from './observer.js'
import type { DeliveryContext } from './delivery/context.js'
import { Hub } from './delivery/hub.js'
import { ServerCore } from './core/server.js'
import { inspector } from './inspector/plugin.js'
import type { Plugin, PluginApi, PluginParts } from './plugin.js'
import type { DefaultEventsMap, DefaultSocketData, EventsMap } from './core/typed-events.js'
import { lazyStore } from './store/lazy.js'
import { MemoryStore, memoryStore } from './store/memory.js'
import { checkKeyPrefix } from './store/redis-keys.js'
import type { Store } from './store/types.js'
import { platformWaitUntil } from './http/background.js'
import { clientAddress } from './http/client-address.js'
import { createRoutes } from './http/routes.js'
import { requestsIsolated } from './isolation.js'

type Api<L extends EventsMap, E extends EventsMap, D extends DefaultSocketData> = Pick<
  ServerCore<L, E, D>,
  'onConnect' | 'onMessage' | 'onDisconnect' | 'use' | 'emit' | 'to' | 'fetchSockets' | 'fetchSocket' | 'sweep' | 'close'
>

/**
 * The handler's shape on every platform: `env` and `ctx` are whatever the platform passes
 * (Workers: env and an execution context; Netlify: its context; Bun: the server; Next.js: route
 * params). Only a `waitUntil` found on them is used, for optional work.
 */
export type FetchHandler = (req: Request, env?: unknown, ctx?: unknown) => Promise<Response>

/**
 * `io` is a Web-standard handler, `(Request, env?, ctx?) => Promise<Response>`, with the
 * server API attached: `export default io` works on Bun, Deno and Netlify; io.handlers
 * for Next.js; io.middleware() for Express/node:http. Workers want an object, `export default
 * { fetch: io.fetch }`: they take a default-exported function for an entrypoint class.
 */
export type IO<
  L extends EventsMap = DefaultEventsMap,
  E extends EventsMap = DefaultEventsMap,
  D extends DefaultSocketData = DefaultSocketData,
> = FetchHandler &
  Api<L, E, D> & {
    fetch: FetchHandler
    handlers: { GET: FetchHandler; POST: FetchHandler; OPTIONS: FetchHandler }
    middleware: () => NodeMiddleware
    /** Socket.IO's name for `to` */
    in: ServerCore<L, E, D>['to']
    readonly store: Store
    /** @internal the core, for tests */
    readonly core: ServerCore<L, E, D>
    /** @internal this instance's streams, for tests */
    readonly hub: Hub
    /**
     * 0: read by Bun when `io` is the default export (Bun serves it as its server options). Bun's
     * default, 10 s, would cut every stream quieter than the heartbeat.
     */
    readonly idleTimeout: 0
  }

/**
 * With `events` schemas and no type arguments, the client-to-server map is inferred from them;
 * `serve<SchemaEvents<typeof events>, ServerToClient, SocketData>({ events })` types the rest too.
 */
export function serve<S extends EventSchemas>(options: ServeOptions & { events: S }): IO<SchemaEvents<S>, DefaultEventsMap, DefaultSocketData>
export function serve<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  SocketData extends DefaultSocketData = DefaultSocketData,
>(options?: ServeOptions): IO<ListenEvents, EmitEvents, SocketData>
export function serve<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = DefaultEventsMap,
  SocketData extends DefaultSocketData = DefaultSocketData,
>(options: ServeOptions = {}): IO<ListenEvents, EmitEvents, SocketData> {
  const store = chooseStore(options)
  const opts = resolveOptions(options)
  // Plugins get the public API; it reaches the core, made just below, only when called.
  let core!: ServerCore<ListenEvents, EmitEvents, SocketData>
  const api: PluginApi = {
    emit: (event, data) => core.emit(event as never, data as never),
    to: (room) => core.to(room) as ReturnType<PluginApi['to']>,
    fetchSocket: (sid) => core.fetchSocket(sid),
    disconnect: (sid) => core.endSession(sid, 'server namespace disconnect', 'io server disconnect'),
  }
  const plugins: Plugin[] = [...(opts.inspector ? [inspector(opts.inspector)] : []), ...(options.plugins ?? [])]
  const parts: PluginParts[] = plugins.map((p) => p.setup({ store, options: opts, api }))
  const observer = combineObservers(parts.flatMap((p) => (p.observer ? [p.observer] : [])))
  const limits = { ttl: opts.ttl, maxLogLength: opts.maxLogLength }
  // Delivery gets the calls it uses and nothing else; the core gets the streams as LocalStreams.
  const delivery: DeliveryContext = {
    logs: store,
    bus: store,
    touch: (sids) => store.touch(sids, Date.now(), limits),
    keepAlive: (sids) => {
      const now = Date.now()
      return store.keepAlive(sids, now, now - opts.disconnectTimeout)
    },
    revive: (sids) => core.reviveById(sids),
    sweepIfDue: () => core.sweepIfDue(),
    observer,
    limits,
    pingInterval: opts.pingInterval,
    disconnectTimeout: opts.disconnectTimeout,
    maxStreamDuration: opts.maxStreamDuration,
    isolateRequests: requestsIsolated(),
    streamsPerSession: opts.limits.streamsPerSession,
    streamBuffer: opts.limits.streamBuffer,
  }
  const hub = new Hub(delivery)
  core = new ServerCore<ListenEvents, EmitEvents, SocketData>(store, opts, observer, hub)
  const app = createRoutes(core, { hub, delivery }, parts.flatMap((p) => (p.routes ? [p.routes.bind(p)] : [])))
  const warnIfEphemeral = ephemeralWarning(store)
  const fetch: FetchHandler = (req, env, ctx) => {
    warnIfEphemeral()
    const address = () => opts.clientAddress?.(req) ?? clientAddress(req, env, ctx)
    return Promise.resolve(app.fetch(req, { waitUntil: platformWaitUntil(env, ctx, opts.waitUntil), clientAddress: address }))
  }
  // A long-lived Node server keeps running after the answer: optional work may simply go on.
  const nodeContext = { waitUntil: (p: Promise<unknown>) => void p.catch(() => {}) }

  const io = ((req: Request, env?: unknown, ctx?: unknown) => fetch(req, env, ctx)) as IO<ListenEvents, EmitEvents, SocketData>
  Object.assign(io, {
    fetch,
    handlers: { GET: fetch, POST: fetch, OPTIONS: fetch },
    middleware: () => nodeMiddleware((req) => fetch(req, undefined, nodeContext), { maxBody: opts.maxPayload, bodyTimeout: opts.limits.bodyTimeout }),
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
    close: async () => {
      await core.close()
      await Promise.allSettled(parts.map((p) => p.close?.()))
    },
    store,
    core,
    hub,
    idleTimeout: 0,
  })
  return io
}

/** No store given: Redis when redisUrl or REDIS_URL says so, else the in-memory store. */
function chooseStore(options: ServeOptions): Store {
  if (options.store && options.keyPrefix !== undefined) throw new TypeError('keyPrefix goes to the store you pass: redisStore(url, { keyPrefix })')
  if (options.store) return options.store
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  const url = options.redisUrl ?? env?.REDIS_URL
  if (options.keyPrefix !== undefined) checkKeyPrefix(options.keyPrefix)
  if (url) return lazyStore(async () => (await import('./store/redis.js')).redisStore(url, { keyPrefix: options.keyPrefix }))
  const store = memoryStore()
  ;(store as { ownedByServer: boolean }).ownedByServer = true
  return store
}

/**
 * The memory store lives in one process. On a serverless platform each request may
 * meet another instance, so messages and sessions would be lost between them: say so,
 * loudly, at the first request (the platform is known from its environment).
 */
function ephemeralWarning(store: Store): () => void {
  let warned = false
  return () => {
    if (warned || !(store instanceof MemoryStore)) return
    warned = true
    const platform = serverlessPlatform()
    if (!platform) return
    console.error(
      `[socket-serve] ${platform} runs many short-lived instances, but serve() has no store: the in-memory ` +
        'store keeps sessions and messages in one instance, so they WILL be lost between requests. ' +
        'Pass redisUrl (or set REDIS_URL).',
    )
  }
}

/** The serverless platform this code runs on, if its environment says so. */
export function serverlessPlatform(): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; navigator?: { userAgent?: string } }
  const env = g.process?.env ?? {}
  if (env.VERCEL) return 'Vercel'
  if (env.NETLIFY || env.NETLIFY_DEV) return 'Netlify'
  if (env.AWS_LAMBDA_FUNCTION_NAME) return 'AWS Lambda'
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'Cloudflare Workers'
  return undefined
}
