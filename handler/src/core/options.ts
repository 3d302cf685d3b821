import type { Transport } from '@socket-serve/client/protocol'
import type { RateLimit, Store } from '../store/types.js'
import { resolveLimits, type Limits } from './limits.js'

export interface CorsOptions {
  /**
   * other origins allowed to call the handler: exact strings, `'*'` (any origin but `null`, and
   * never with credentials), or a predicate. `'null'` (sandboxed frames, file:) only when listed.
   */
  origin: string | string[] | ((origin: string) => boolean)
  /** send Access-Control-Allow-Credentials (not with origin '*') */
  credentials?: boolean
}

/** Which Host a request may name, and which origin is this server's own (see http/origin.ts). */
export interface HostPolicy {
  /** the configured public origins, normalised (`https://chat.example.com`) */
  publicOrigins: string[]
  /** host names accepted besides loopback names, IP literals and the public origins' hosts; true: any */
  allowedHosts: string[] | true
  /** X-Forwarded-Host / X-Forwarded-Proto count (a proxy you run sets them) */
  trustProxy: boolean
}

export interface ServeOptions {
  /** where all state lives; default: memoryStore(), or Redis when redisUrl / REDIS_URL is set */
  store?: Store
  redisUrl?: string
  /**
   * With redisUrl / REDIS_URL: the prefix of every key and channel (default 'ss'), so apps sharing
   * one Redis stay apart (one's sweep never ends another's sessions). For a store you build, pass
   * it there: redisStore(url, { keyPrefix }), upstashStore({ ..., keyPrefix }).
   */
  keyPrefix?: string
  /** session TTL in seconds (default 3600) */
  ttl?: number
  transports?: Transport[]
  /** ms an SSE or poll request may live (platform time limits); default: SSE unlimited, poll 25 s */
  maxStreamDuration?: number
  /** ms between heartbeats on open streams (default 25000) */
  pingInterval?: number
  /** ms of silence after a missed heartbeat before the client gives up (default 20000) */
  pingTimeout?: number
  /**
   * ms without any stream or request before a session is disconnected (default 45000).
   * Keep it above pingInterval: open streams prove they are alive once per pingInterval.
   */
  disconnectTimeout?: number
  /**
   * ms a session ended for being idle (disconnectTimeout) is kept, with its logs and the ids of
   * its messages, so a client that comes back within it resumes with nothing lost and nothing run
   * twice (onConnect runs again with socket.recovered true). Default 120000; 0 deletes at once.
   */
  recoveryWindow?: number
  /**
   * ms between sweeps on a timer. Default 0: no timer; sweeps run inside requests (awaited before
   * the answer) and from io.sweep() / the cron route. Set it only on a long-lived server.
   */
  sweepInterval?: number
  /** opens GET|POST {base}/_sweep for a platform's cron, with `Authorization: Bearer <cronSecret>`; default env CRON_SECRET */
  cronSecret?: string
  /**
   * opens POST {base}/_publish, with `Authorization: Bearer <publishKey>`: a body
   * `{ room?, to?, event, data? }` emits to a room, a session, or everyone (neither)
   */
  publishKey?: string
  /**
   * Standard Schema validators per client event (zod, valibot, arktype...): `{ chat: schema }` or
   * `{ chat: { data: schema, ack: schema } }`. An invalid payload is refused with VALIDATION before
   * any handler runs; an invalid ack is replaced by a VALIDATION error. Types follow (SchemaEvents).
   */
  events?: import('./schemas.js').EventSchemas
  /**
   * rooms whose members get `presence:join` / `presence:leave` events ({ room, member: { id, user } })
   * when someone joins, leaves or is swept: true (every room), or a predicate. Default off: each
   * join and leave then costs one more store write.
   */
  presence?: boolean | ((room: string) => boolean)
  /** calls of {base}/_publish allowed per instance: `requests` per `interval` ms (default 1000 per 1000) */
  publishRateLimit?: { requests: number; interval?: number }
  /**
   * Called with work that may outlive the answer and that nothing relies on (inspector metrics and
   * feed), when the platform's context does not carry a waitUntil (Vercel: `waitUntil` from @vercel/functions).
   */
  waitUntil?: (promise: Promise<unknown>) => void
  /** max request body bytes (default 1 MB) */
  maxPayload?: number
  /** entries kept per log: the replay window (default 1000) */
  maxLogLength?: number
  /** ms to wait for a client's ack to a server emitWithAck (default 10000) */
  ackTimeout?: number
  cors?: CorsOptions
  /** shorthand for cors: { origin: allowedOrigins } */
  allowedOrigins?: string[]
  /**
   * The origin(s) browsers reach this app at, e.g. `'https://chat.example.com'`. A request whose
   * Host is not one of their hosts (nor localhost, an IP address or an `allowedHosts` entry) is
   * refused with 403: a DNS-rebinding page (evil.example resolving to your server) names its own
   * Host. An Origin equal to one of them is same-origin, whatever scheme the request arrived by
   * (TLS ended at a proxy). Default: env PUBLIC_ORIGIN (comma-separated), else none: only loopback names and IP addresses are served.
   */
  publicOrigin?: string | string[]
  /**
   * More Host names to serve (no port): `'api.internal'`, or `'.example.com'` for every subdomain
   * of example.com; `true` turns the Host check off (a proxy in front of you already checks Host).
   */
  allowedHosts?: string[] | true
  /**
   * Behind a proxy you run that sets (overwrites) X-Forwarded-Host / X-Forwarded-Proto: they then
   * name the request's host and scheme for the Host and same-origin checks (Vite's proxy with
   * changeOrigin). Default false: anyone can send these headers.
   */
  trustProxy?: boolean
  /**
   * Per-session limit on client messages, counted in the store (so across instances):
   * at most `messages` per `interval` ms (default 1000). Over it, posts get 429 with
   * Retry-After and the client resends them after the wait. Default: no limit.
   */
  rateLimit?: { messages: number; interval?: number }
  /** verifies the connect request; returns the user data, or throws (SocketServeError) to refuse */
  auth?: (req: Request, payload: unknown) => unknown | Promise<unknown>
  /** turns on the inspector API under {base}/_inspector/ (see INSPECTOR.md); readonly hides admin actions */
  inspector?: { token: string; readonly?: boolean }
  /**
   * POSTs a client may keep in flight (default 4, at most 16). Handlers always start in emit order,
   * and a message starts only once the writes its predecessor's handler issued before its first
   * await are stored (a sender's room messages stay in order, on any instance); a slow handler
   * holds back no later message. 1: one POST at a time, emits made meanwhile travel in the next.
   */
  maxInFlight?: number
  /** plugins (see plugin.ts): each may observe traffic and add routes under {base}/_<name>/ */
  plugins?: import('../plugin.js').Plugin[]
  /**
   * Bounds on what one client can make the server hold (see core/limits.ts for each default):
   * connectsPerMinute, sessions, roomsPerSession, streamsPerSession, pendingAcksPerSession,
   * metricKeys, streamBuffer, bodyTimeout. 0 turns one off.
   */
  limits?: Partial<Limits>
  /**
   * The client address a connect counts against (`limits.connectsPerMinute`). Default: what the
   * runtime reports (Node's socket, Bun, Deno, Netlify). Behind a proxy you trust, read its header
   * here, e.g. `(req) => req.headers.get('x-real-ip') ?? undefined`; never trust a header a client can set.
   */
  clientAddress?: (req: Request) => string | undefined
}

export interface ResolvedOptions {
  ttl: number
  transports: Transport[]
  maxStreamDuration: number
  pingInterval: number
  pingTimeout: number
  disconnectTimeout: number
  recoveryWindow: number
  maxInFlight: number
  sweepInterval: number
  cronSecret?: string
  publishKey?: string
  presence: (room: string) => boolean
  events: import('./schemas.js').EventSchemas
  publishRateLimit: { requests: number; interval: number }
  waitUntil?: (promise: Promise<unknown>) => void
  maxPayload: number
  maxLogLength: number
  ackTimeout: number
  cors?: CorsOptions
  hosts: HostPolicy
  auth?: ServeOptions['auth']
  rate?: RateLimit
  inspector?: ServeOptions['inspector']
  limits: Limits
  clientAddress?: ServeOptions['clientAddress']
}

export function resolveOptions(o: ServeOptions): ResolvedOptions {
  const pingInterval = o.pingInterval ?? 25_000
  return {
    ttl: o.ttl ?? 3600,
    transports: o.transports ?? ['sse', 'polling'],
    maxStreamDuration: o.maxStreamDuration ?? 0,
    pingInterval,
    pingTimeout: o.pingTimeout ?? 20_000,
    disconnectTimeout: o.disconnectTimeout ?? 45_000,
    recoveryWindow: o.recoveryWindow ?? 120_000,
    maxInFlight: Math.max(1, Math.min(16, Math.floor(o.maxInFlight ?? 4))),
    sweepInterval: o.sweepInterval ?? 0,
    cronSecret: o.cronSecret ?? envVar('CRON_SECRET'),
    publishKey: o.publishKey || undefined,
    events: o.events ?? {},
    presence: typeof o.presence === 'function' ? o.presence : o.presence ? () => true : () => false,
    publishRateLimit: { requests: Math.max(1, o.publishRateLimit?.requests ?? 1000), interval: o.publishRateLimit?.interval ?? 1000 },
    waitUntil: o.waitUntil,
    maxPayload: o.maxPayload ?? 1_000_000,
    maxLogLength: o.maxLogLength ?? 1000,
    ackTimeout: o.ackTimeout ?? 10_000,
    cors: o.cors ?? (o.allowedOrigins ? { origin: o.allowedOrigins } : undefined),
    hosts: {
      publicOrigins: originList(o.publicOrigin ?? envVar('PUBLIC_ORIGIN')).map(publicOrigin),
      allowedHosts: o.allowedHosts === true ? true : (o.allowedHosts ?? []).map((h) => h.toLowerCase()),
      trustProxy: o.trustProxy === true,
    },
    auth: o.auth,
    inspector: o.inspector,
    limits: resolveLimits(o.limits),
    clientAddress: o.clientAddress,
    rate: o.rateLimit ? { limit: Math.max(1, o.rateLimit.messages), windowMs: o.rateLimit.interval ?? 1000 } : undefined,
  }
}

/** `https://Chat.example.com:443/` -> `https://chat.example.com`; anything else is a configuration error. */
/** One origin, a list, or (from the environment) a comma-separated list. */
function originList(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter(Boolean)
}

function publicOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`publicOrigin: ${JSON.stringify(value)} is not an origin like https://chat.example.com`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin === 'null') {
    throw new TypeError(`publicOrigin: ${JSON.stringify(value)} is not an http(s) origin`)
  }
  return url.origin
}

function envVar(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
  return env?.[name] || undefined
}
