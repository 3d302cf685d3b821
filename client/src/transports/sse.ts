import type { ClientTransport } from './transport.js'

/** Server-Sent Events read over fetch (no EventSource: it cannot send our headers, and Node 20 has none). */
export const sseTransport: ClientTransport = {
  name: 'sse',
  supported: () => typeof ReadableStream === 'function' && typeof TextDecoder === 'function',
  open: ({ fetch, routes, headers, signal }) =>
    fetch(routes.sse, { method: 'GET', headers: { ...headers, accept: 'text/event-stream' }, signal }),
}
