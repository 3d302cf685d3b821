import type { Context, Hono } from 'hono'
import { SocketServeError } from '@socket-serve/client/protocol'
import { jsonResponse } from '../http/http-errors.js'
import type { PluginContext } from '../plugin.js'
import { isEntryId, isRowId, readFeedPage, rowsOf } from './feed-history.js'
import type { Recorder } from './recorder.js'

const encoder = new TextEncoder()
const HEARTBEAT_MS = 15_000
/** An open feed reads the history's new entries this often: its cost does not grow with traffic. */
export const LIVE_POLL_MS = 500
const LIVE_ENTRIES = 100

/**
 * The feed routes of INSPECTOR.md: `GET feed` (the history, paged, searched on the server) and
 * `GET events` (the live feed: new history entries, as SSE, while the response is open).
 */
export function feedRoutes(app: Hono<any>, ctx: PluginContext, recorder: Recorder): void {
  app.get('/_inspector/feed', async (c) => {
    const before = c.req.query('before') || undefined
    if (before !== undefined && !isRowId(before)) throw new SocketServeError('BAD_REQUEST', 'before must be a row id from an earlier page')
    const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 200) || 200))
    const q = c.req.query('q')?.slice(0, 200) || undefined
    const page = await readFeedPage(ctx.store, { before, q, limit })
    return jsonResponse(JSON.stringify({ time: Date.now(), ...page }))
  })

  app.get('/_inspector/events', (c) => liveFeed(ctx, recorder, c))
}

/** Every instance's events, as SSE, from `after` (a row or entry id) or from now. */
function liveFeed(ctx: PluginContext, recorder: Recorder, c: Context): Response {
  const given = c.req.query('after')
  const from = given && isRowId(given) ? given.slice(0, given.lastIndexOf('.')) : given && isEntryId(given) ? given : undefined
  // A row id names a half-sent entry: its rows up to that index were sent already.
  const sentOfFirst = given && isRowId(given) ? Number(given.slice(given.lastIndexOf('.') + 1)) : -1
  let cleanup = () => {}
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true
      const write = (text: string) => {
        try {
          controller.enqueue(encoder.encode(text))
        } catch {
          cleanup()
        }
      }
      const closeFeed = recorder.feed.opened()
      let last: string | undefined = from
      let reading = false
      const poll = async () => {
        if (reading || !open) return
        reading = true
        try {
          if (last === undefined) last = (await ctx.store.readFeedBefore(undefined, 1))[0]?.id ?? '0-0'
          const entries = await ctx.store.readFeedAfter(from && last === from && sentOfFirst >= 0 ? prior(from) : last, LIVE_ENTRIES)
          let text = ''
          for (const row of rowsOf(entries)) {
            if (row.id.startsWith(`${from}.`) && Number(row.id.slice(row.id.lastIndexOf('.') + 1)) <= sentOfFirst) continue
            text += `data: ${JSON.stringify(row)}\n\n`
          }
          if (entries.length) last = entries.at(-1)!.id
          if (text && open) write(text)
        } catch {
          // The store failed: the next poll tries again from the same place.
        } finally {
          reading = false
        }
      }
      void poll()
      const timer = setInterval(() => void poll(), LIVE_POLL_MS)
      const beat = setInterval(() => write(':\n\n'), HEARTBEAT_MS)
      cleanup = () => {
        open = false
        clearInterval(timer)
        clearInterval(beat)
        closeFeed()
        cleanup = () => {}
      }
      c.req.raw.signal.addEventListener('abort', () => {
        cleanup()
        try {
          controller.close()
        } catch {
          // already closed
        }
      })
      write(':\n\n')
    },
    cancel() {
      cleanup()
    },
  })
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
  })
}

/** The id just before an entry id (XRANGE's exclusive start then includes that entry). */
function prior(id: string): string {
  const [ms, n] = id.split('-').map(Number) as [number, number]
  return n > 0 ? `${ms}-${n - 1}` : `${ms - 1}-${Number.MAX_SAFE_INTEGER}`
}
