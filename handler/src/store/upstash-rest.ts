/**
 * The Upstash Redis REST protocol, as @upstash/redis speaks it, on fetch alone (Workers, Edge):
 * POST `<url>/` with a JSON command array, `<url>/pipeline` with an array of them; results come
 * back as `{ result }` / `{ error }` with `Upstash-Encoding: base64` (every string base64 but "OK").
 *
 * Our own small client rather than @upstash/redis's, because the store needs what that client
 * does not give: no silent retry of a write whose reply was lost (it would append twice), raw
 * replies for generic pipelines, and a signal when a subscribe stream ends (resync).
 */

export type Arg = string | number
export type Reply = string | number | null | Reply[]

/** A command's own error reply (e.g. NOSCRIPT): the server answered. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CommandError'
  }
}

/** The server could not be reached, or did not answer as the protocol says (network, 5xx, 401). */
export class TransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TransportError'
  }
}

export interface RestConfig {
  /** the REST URL, e.g. https://<db>.upstash.io */
  url: string
  token: string
  /** ms before a request counts as failed (default 10 000) */
  timeoutMs?: number
}

export class UpstashRest {
  private readonly base: string

  constructor(private readonly config: RestConfig) {
    this.base = config.url.replace(/\/+$/, '')
  }

  /** One command, one round trip. A command error rejects with CommandError. */
  async command(args: Arg[]): Promise<Reply> {
    const body = (await this.post('', args)) as { result?: Reply; error?: string }
    if (body.error !== undefined) throw new CommandError(body.error)
    return decode(body.result ?? null)
  }

  /** Commands in one round trip, run in order (not atomically); each result or its error. */
  async pipeline(commands: Arg[][]): Promise<(Reply | CommandError)[]> {
    const body = await this.post('/pipeline', commands)
    if (!Array.isArray(body) || body.length !== commands.length) throw new TransportError('upstash: malformed pipeline reply')
    return body.map((r: { result?: Reply; error?: string }) => (r.error !== undefined ? new CommandError(r.error) : decode(r.result ?? null)))
  }

  /** Opens an SSE stream (`/subscribe/<channel>`, `/psubscribe/<pattern>`); the caller reads it. */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    let res: Response
    try {
      res = await fetch(this.base + path, { method: 'POST', headers: { ...this.headers(), Accept: 'text/event-stream' }, signal })
    } catch (err) {
      throw new TransportError(`upstash: ${message(err)}`, { cause: err })
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel()
      throw new TransportError(`upstash: subscribe answered ${res.status}`)
    }
    return res.body
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.config.token}`, 'Content-Type': 'application/json', 'Upstash-Encoding': 'base64' }
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    let res: Response
    let text: string
    try {
      res = await fetch(this.base + (path || '/'), {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000),
      })
      text = await res.text()
    } catch (err) {
      throw new TransportError(`upstash: ${message(err)}`, { cause: err })
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new TransportError(`upstash: answered ${res.status} without JSON`)
    }
    // 400 carries a command's error; anything else that is not 2xx means the service is unwell.
    if (res.status === 400 && parsed && typeof parsed === 'object' && 'error' in parsed) return parsed
    if (!res.ok) throw new TransportError(`upstash: answered ${res.status}: ${(parsed as { error?: string })?.error ?? text.slice(0, 200)}`)
    return parsed
  }
}

const utf8 = new TextDecoder()

/** Undoes Upstash-Encoding: base64 (strings are base64 of their bytes, except the status "OK"). */
export function decode(value: Reply): Reply {
  if (typeof value === 'string') {
    if (value === 'OK') return value
    let bin: string
    try {
      bin = atob(value)
    } catch {
      return value // a status reply the server sent plain
    }
    const bytes = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
    return utf8.decode(bytes)
  }
  if (Array.isArray(value)) return value.map(decode)
  return value
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
