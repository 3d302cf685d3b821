import type { ClientTransport } from './transport.js'

/**
 * HTTP long-polling: each GET answers with the same framing as SSE and ends
 * once it delivered something; the first of a (re)connection asks `wait=0` so
 * the connection is confirmed at once.
 */
export const pollingTransport: ClientTransport = {
  name: 'polling',
  supported: () => typeof TextDecoder === 'function',
  open: ({ fetch, routes, headers, first, signal }) =>
    fetch(first ? routes.pollNow : routes.poll, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, signal }),
}
