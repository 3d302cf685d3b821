import type { FeedBounds, FeedEntry } from './types.js'

/**
 * The feed history as a Redis stream, shared by the ioredis and Upstash stores: one XADD per
 * entry, capped by count (MAXLEN ~) and age (MINID ~, by this instance's clock: a skew of seconds
 * only moves the cut), and the key lapses when nobody appends for `keepMs`.
 */
export function feedAppend(key: string, data: string, bounds: FeedBounds): (string | number)[][] {
  return [
    ['XADD', key, 'MAXLEN', '~', bounds.maxEntries, '*', 'e', data],
    ['XTRIM', key, 'MINID', '~', Math.max(0, Date.now() - bounds.keepMs)],
    ['PEXPIRE', key, bounds.keepMs],
  ]
}

/** XRANGE / XREVRANGE's `[[id, [field, value, ...]], ...]` as entries (the `e` field). */
export function feedEntries(reply: unknown): FeedEntry[] {
  if (!Array.isArray(reply)) return []
  const out: FeedEntry[] = []
  for (const item of reply) {
    if (!Array.isArray(item) || !Array.isArray(item[1])) continue
    const fields = item[1] as unknown[]
    const at = fields.indexOf('e')
    if (at >= 0 && at + 1 < fields.length) out.push({ id: String(item[0]), data: String(fields[at + 1]) })
  }
  return out
}

/** ioredis pipeline results `[[error, result], ...]`: the first error, thrown. */
export function pipelineErrors(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([err]) => err)
  if (failed) throw failed[0]
}
