import { errorFromResponse, toSocketError } from '../core/http.js'
import { SocketServeError } from '../protocol/errors.js'
import { SseParser, type SseEvent } from './sse-parser.js'
import type { ClientTransport, ReceiveRequest } from './transport.js'

/** Thrown when no byte arrived for the idle limit (pingInterval + pingTimeout). */
export class PingTimeoutError extends SocketServeError {
  constructor(ms: number) {
    super('CONNECTION_FAILED', `no data for ${ms} ms (ping timeout)`, { status: 0 })
  }
}

export interface ReadOptions {
  /** ms without any byte (heartbeats included) after which the response is dead */
  idleTimeout: number
  /** return false to stop reading (the session ended, or the socket was closed) */
  onEvent(event: SseEvent): boolean | void
  onBytes?(bytes: number): void
}

/**
 * Opens one response of `transport` and feeds its body through the SSE
 * parser. Resolves 'end' when the server ended the body cleanly, 'stopped'
 * when onEvent asked to stop; throws SocketServeError on a refusal, a network
 * failure or a ping timeout (PingTimeoutError). The idle watchdog also covers
 * waiting for the response head, which a stalled long-poll could withhold.
 */
export async function readResponse(
  transport: ClientTransport,
  req: Omit<ReceiveRequest, 'signal'>,
  controller: AbortController,
  opts: ReadOptions,
): Promise<'end' | 'stopped'> {
  let last = Date.now()
  let timedOut = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  // one timer per idle period instead of one reset per chunk
  const watch = () => {
    const idle = Date.now() - last
    if (idle < opts.idleTimeout) {
      timer = setTimeout(watch, opts.idleTimeout - idle)
      return
    }
    timedOut = true
    controller.abort()
    reader?.cancel().catch(() => {})
  }
  timer = setTimeout(watch, opts.idleTimeout)

  let stopped = false
  const parser = new SseParser((event) => {
    if (!stopped && opts.onEvent(event) === false) stopped = true
  })
  try {
    let res: Response
    try {
      res = await transport.open({ ...req, signal: controller.signal })
    } catch (err) {
      throw timedOut ? new PingTimeoutError(opts.idleTimeout) : toSocketError(err)
    }
    if (!res.ok) throw await errorFromResponse(res)
    last = Date.now()

    // The parser drops the stream's BOM itself (once, as the spec says): the decoder must keep it.
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true })
    if (!res.body) {
      // no streaming body in this runtime: still fine for polling, whose response ends
      const text = await res.text().catch((err: unknown) => {
        throw timedOut ? new PingTimeoutError(opts.idleTimeout) : toSocketError(err)
      })
      parser.push(text)
      parser.end()
      return stopped ? 'stopped' : 'end'
    }
    reader = res.body.getReader()
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (err) {
        throw timedOut ? new PingTimeoutError(opts.idleTimeout) : toSocketError(err)
      }
      // cancel() on timeout resolves a pending read as done: that is not a clean end
      if (timedOut) throw new PingTimeoutError(opts.idleTimeout)
      if (chunk.done) {
        parser.push(decoder.decode())
        parser.end()
        return stopped ? 'stopped' : 'end'
      }
      last = Date.now()
      opts.onBytes?.(chunk.value.byteLength)
      parser.push(decoder.decode(chunk.value, { stream: true }))
      if (stopped) {
        controller.abort()
        reader.cancel().catch(() => {})
        return 'stopped'
      }
    }
  } finally {
    clearTimeout(timer)
  }
}
