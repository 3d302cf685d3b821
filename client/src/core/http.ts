import { errorFromBody, SocketServeError } from '../protocol/errors.js'
import { parseRetryAfter } from './backoff.js'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** A request that got no HTTP answer becomes CONNECTION_FAILED with status 0, so it reads as transient. */
export function toSocketError(cause: unknown): SocketServeError {
  if (cause instanceof SocketServeError) return cause
  const message = cause instanceof Error ? cause.message : String(cause)
  return new SocketServeError('CONNECTION_FAILED', message || 'network error', { status: 0, cause })
}

/** Turns a refusal into the typed error its JSON body names (status and Retry-After kept). */
export async function errorFromResponse(res: Response): Promise<SocketServeError> {
  let body: unknown
  try {
    body = await res.json()
  } catch {
    body = undefined
  }
  return errorFromBody(res.status, body, parseRetryAfter(res.headers.get('retry-after')))
}

/** Worth sending again unchanged: no answer, rate limited, or the server/gateway was briefly unavailable. */
export function isTransient(err: SocketServeError): boolean {
  return err.status === 0 || err.status === 429 || err.status === 502 || err.status === 503 || err.status === 504
}

/** fetch that throws SocketServeError for both network failures and non-2xx answers. */
export async function request(fetchImpl: FetchLike, url: string, init: RequestInit): Promise<Response> {
  let res: Response
  try {
    // Our POSTs are never redirected (followed, one would arrive as a GET); saying so also
    // spares undici a copy of every request made in case it had to be sent again.
    res = await fetchImpl(url, { redirect: 'error', ...init })
  } catch (err) {
    throw toSocketError(err)
  }
  if (!res.ok) throw await errorFromResponse(res)
  return res
}

/** Reads a JSON body; a body cut short on the network is a network failure (transient). */
export async function readJson<T>(res: Response): Promise<T> {
  try {
    return (await res.json()) as T
  } catch (err) {
    throw toSocketError(err)
  }
}
