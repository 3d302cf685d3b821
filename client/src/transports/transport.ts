import type { FetchLike } from '../core/http.js'
import type { Routes } from '../core/endpoint.js'
import type { Transport as TransportName } from '../protocol/wire.js'

export interface ReceiveRequest {
  fetch: FetchLike
  routes: Routes
  /** session headers, cursor (Last-Event-ID) and the application's own */
  headers: Record<string, string>
  /** the first request of this (re)connection */
  first: boolean
  signal: AbortSignal
}

/**
 * A way to receive server frames. Both transports answer with the same
 * text/event-stream framing; they differ only in how long a response lives
 * (SSE: until the server cuts it; polling: until it delivered something), so a
 * transport is just the request that opens one response.
 */
export interface ClientTransport {
  readonly name: TransportName
  /** false where the runtime lacks what the transport needs */
  supported(): boolean
  open(req: ReceiveRequest): Promise<Response>
}
