import { SocketServeError } from '@socket-serve/client/protocol'
import { StoreUnavailableError } from '../store/errors.js'
import { textResponse } from './beside.js'

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** `req`: the request answered, so an adapter that reads bodies beside the Response gets the text only. */
export function jsonResponse(body: string, status = 200, req?: Request): Response {
  return textResponse(body, { status, headers: JSON_HEADERS }, req)
}

/** The one error shape: `{ "error": { "code", "message" } }` with the code's status. */
export function errorResponse(err: SocketServeError): Response {
  const headers: Record<string, string> = { ...JSON_HEADERS }
  if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter)
  return textResponse(JSON.stringify(err.toJSON()), { status: err.status, headers })
}

/** Anything thrown while serving a request, as the error the client should see. */
export function toServeError(err: unknown): SocketServeError {
  if (err instanceof SocketServeError) return err
  if (err instanceof StoreUnavailableError) {
    return new SocketServeError('STORE_UNAVAILABLE', 'the store is unavailable; retry shortly', { retryAfter: 1 })
  }
  console.error('[socket-serve] request failed:', err)
  return new SocketServeError('INTERNAL', 'internal error')
}
