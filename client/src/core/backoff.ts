/**
 * Exponential backoff with full jitter: a uniformly random delay in
 * [0, min(max, base * 2^attempt)). Full jitter spreads a crowd of clients that
 * lost the same server, so they do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, base: number, max: number, random: () => number = Math.random): number {
  // 2 ** attempt overflows to Infinity for huge attempts; Math.min keeps the cap.
  const cap = Math.max(0, Math.min(max, base * 2 ** Math.max(0, attempt)))
  return Math.floor(random() * cap)
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000)
}
