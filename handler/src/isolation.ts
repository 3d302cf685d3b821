/**
 * Whether this runtime binds I/O to the request that started it. On Cloudflare Workers a fetch,
 * a stream or a timer created in one request cannot be used from another ("Cannot perform I/O on
 * behalf of a different request"), and a request's subrequests end with it. There, nothing that
 * does I/O may be shared between requests: each stream gets its own store subscription and its
 * own heartbeat (delivery/hub.ts, store/upstash.ts).
 */
export function requestsIsolated(): boolean {
  return (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === 'Cloudflare-Workers'
}
