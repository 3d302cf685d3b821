import { SocketServeError } from '../protocol/errors.js'
import { DEFAULT_MAX_BATCH, PROTOCOL_VERSION, SID_HEADER, TOKEN_HEADER, type ConnectReply, type Transport as TransportName } from '../protocol/wire.js'
import { readJson, request } from './http.js'
import type { Routes } from './endpoint.js'
import { resolveAuth, type ResolvedOptions } from './options.js'

/** What the client keeps of a session: enough to resume it from any instance. */
export interface Session {
  sid: string
  token: string
  pingInterval: number
  pingTimeout: number
  maxPayload: number
  /** most messages per POST {base}/message (the server's, else DEFAULT_MAX_BATCH) */
  maxBatch: number
  /** transports the server accepts */
  transports: TransportName[] | undefined
}

/**
 * POST {base}/connect: runs the server's auth hook and middleware and makes
 * a session. Refusals throw the typed error; `opts.timeout` bounds the wait.
 */
export async function createSession(
  opts: ResolvedOptions,
  routes: Routes,
  transport: TransportName | undefined,
  controller: AbortController,
): Promise<Session> {
  const timer = setTimeout(() => controller.abort(), opts.timeout)
  try {
    // called on every attempt, so a function can hand out a fresh token
    const auth = await resolveAuth(opts.auth)
    const res = await request(opts.fetch, routes.connect, {
      method: 'POST',
      // text/plain keeps connect a "simple" cross-origin request: no preflight, so a
      // refused origin's 403 FORBIDDEN reaches the page instead of an opaque network error.
      headers: { ...opts.headers, 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ auth, transport }),
      signal: controller.signal,
    })
    const reply = await readJson<Partial<ConnectReply>>(res)
    if (typeof reply?.sid !== 'string' || typeof reply.token !== 'string') {
      throw new SocketServeError('BAD_REQUEST', 'the connect reply has no sid/token', { status: res.status })
    }
    if (reply.protocol !== undefined && reply.protocol !== PROTOCOL_VERSION) {
      throw new SocketServeError('BAD_REQUEST', `server speaks protocol ${reply.protocol}, client ${PROTOCOL_VERSION}`, { status: res.status })
    }
    return {
      sid: reply.sid,
      token: reply.token,
      pingInterval: positive(reply.pingInterval, 25_000),
      pingTimeout: positive(reply.pingTimeout, 20_000),
      maxPayload: positive(reply.maxPayload, 1_000_000),
      maxBatch: positive(reply.maxBatch, DEFAULT_MAX_BATCH),
      transports: Array.isArray(reply.transports) ? reply.transports : undefined,
    }
  } finally {
    clearTimeout(timer)
  }
}

/** Headers of every POST for an existing session. */
export function sessionHeaders(opts: ResolvedOptions, session: Session): Record<string, string> {
  return { ...opts.headers, 'content-type': 'application/json', [SID_HEADER]: session.sid, [TOKEN_HEADER]: session.token }
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}
