import { StoreUnavailableError } from './errors.js'
import type { Subscription } from './types.js'
import type { UpstashRest } from './upstash-rest.js'

/** A Redis glob pattern that matches exactly `channel`. */
export function exactPattern(channel: string): string {
  return channel.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * Pub/sub over the REST API's SSE endpoint. The API subscribes one channel or pattern per HTTP
 * request, so a store instance holds one `psubscribe <prefix>:*` stream for all its streams and
 * signals, and fans messages out locally by channel. It is open only while someone listens
 * (plus a short linger, so long-polling churn does not reopen it per request).
 *
 * The cost: the instance receives every append notification and signal of the prefix, also for
 * logs none of its streams watches (one SSE message each, no command). In exchange an idle
 * instance sends no command at all to wait for entries.
 *
 * When the stream drops, it reconnects with backoff; once subscribed again, every listener gets
 * '' (the resync: notifications may have been missed meanwhile).
 */

const LINGER_MS = 5_000
const BACKOFF_MS = [100, 250, 500, 1000, 2000]

type Listener = (message: string) => void

export class PatternBus {
  private readonly channels = new Map<string, Set<Listener>>()
  private listenerCount = 0
  private abort: AbortController | undefined
  private running = false
  private open = false
  private everOpen = false
  private waiters: { resolve(): void; reject(err: Error): void }[] = []
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private closed = false

  constructor(
    private readonly rest: UpstashRest,
    private readonly pattern: string,
    private readonly openTimeoutMs = 10_000,
    /** how long the stream stays open after its last listener left (0: closes at once) */
    private readonly lingerMs = LINGER_MS,
  ) {}

  /** Listens on one channel; '' is the resync message. */
  listen(channel: string, listener: Listener): Subscription {
    let set = this.channels.get(channel)
    if (!set) this.channels.set(channel, (set = new Set()))
    set.add(listener)
    this.listenerCount++
    clearTimeout(this.lingerTimer)
    const ready = this.open ? Promise.resolve() : new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (this.closed) this.failWaiters(new StoreUnavailableError('upstash: store closed'))
    else if (!this.running) void this.run()
    let active = true
    return {
      ready,
      unsubscribe: () => {
        if (!active) return
        active = false
        set.delete(listener)
        if (set.size === 0 && this.channels.get(channel) === set) this.channels.delete(channel)
        if (--this.listenerCount === 0) {
          clearTimeout(this.lingerTimer)
          const stop = () => {
            if (this.listenerCount > 0) return
            this.everOpen = false // nobody listened across this close: nothing to resync
            this.abort?.abort()
          }
          if (this.lingerMs <= 0) return stop()
          this.lingerTimer = setTimeout(stop, this.lingerMs)
          ;(this.lingerTimer as { unref?: () => void }).unref?.() // never what keeps a process alive
        }
      },
    }
  }

  close(): void {
    this.closed = true
    clearTimeout(this.lingerTimer)
    this.abort?.abort()
    this.channels.clear()
    this.failWaiters(new StoreUnavailableError('upstash: store closed'))
  }

  /** Keeps one subscribe stream open while anyone listens. */
  private async run(): Promise<void> {
    this.running = true
    let failures = 0
    while (!this.closed && this.listenerCount > 0) {
      const abort = (this.abort = new AbortController())
      // A subscribe that is not confirmed in time counts as failed (the service hangs).
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        abort.abort()
      }, this.openTimeoutMs)
      try {
        const body = await this.rest.stream(`/psubscribe/${encodeURIComponent(this.pattern)}`, abort.signal)
        await this.read(body, () => {
          failures = 0
          clearTimeout(timer)
        })
      } catch (err) {
        if (timedOut) err = new Error('no subscribe confirmation in time')
        if (timedOut || !abort.signal.aborted) this.failWaiters(new StoreUnavailableError(`upstash subscribe: ${err instanceof Error ? err.message : String(err)}`, { cause: err }))
      }
      clearTimeout(timer)
      this.open = false
      if (this.closed || this.listenerCount === 0) break
      await new Promise((r) => setTimeout(r, BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]))
    }
    this.running = false
    this.abort = undefined
  }

  /** Reads SSE lines until the stream ends; each `data:` line is one event, as Upstash sends them. */
  private async read(body: ReadableStream<Uint8Array>, onOpen: () => void): Promise<void> {
    const reader = body.getReader()
    const text = new TextDecoder()
    let buffer = ''
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += text.decode(value, { stream: true })
        let nl: number
        while ((nl = buffer.indexOf('\n')) !== -1) {
          const line = buffer.slice(0, nl).replace(/\r$/, '')
          buffer = buffer.slice(nl + 1)
          if (line.startsWith('data:')) this.event(line.slice(line[5] === ' ' ? 6 : 5), onOpen)
        }
      }
    } finally {
      reader.cancel().catch(() => {})
    }
  }

  private event(data: string, onOpen: () => void): void {
    if (data.startsWith('psubscribe,')) {
      this.open = true
      onOpen()
      const waiters = this.waiters.splice(0)
      for (const w of waiters) w.resolve()
      // Back after a drop: whatever was published meanwhile is lost, so everyone re-reads.
      if (this.everOpen) this.dispatchAll('')
      this.everOpen = true
      return
    }
    const head = `pmessage,${this.pattern},`
    if (!data.startsWith(head)) return
    // `<channel>,<message>`: channels may hold commas, so the channel is the listened one that fits.
    const rest = data.slice(head.length)
    for (let i = rest.indexOf(','); i !== -1; i = rest.indexOf(',', i + 1)) {
      const set = this.channels.get(rest.slice(0, i))
      if (set) {
        const message = rest.slice(i + 1)
        for (const fn of [...set]) fn(message)
        return
      }
    }
  }

  private dispatchAll(message: string): void {
    for (const set of [...this.channels.values()]) for (const fn of [...set]) fn(message)
  }

  private failWaiters(err: Error): void {
    for (const w of this.waiters.splice(0)) w.reject(err)
  }
}
