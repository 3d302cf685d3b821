/** One event of a text/event-stream. */
export interface SseEvent {
  /** the stream's last event id when the event was dispatched (EventSource's `lastEventId`; '' for none) */
  id: string
  /** `message` unless an `event:` line named it */
  event: string
  data: string
}

export interface SseHandlers {
  onEvent(event: SseEvent): void
  /** a comment line (`:` and what follows it): heartbeats */
  onComment?(text: string): void
  /** a `retry:` field of ASCII digits: the reconnection time the server asks for, in ms */
  onRetry?(ms: number): void
}

/**
 * An incremental text/event-stream parser, by the WHATWG HTML rules (§9.2.6
 * "Interpreting an event stream"): fed decoded text in chunks that may split
 * anywhere, even between the CR and LF of a CRLF. The one parser of the
 * workspace: the client's transports and the inspector's feed both use it.
 */
export class SseParser {
  /** pieces of a line not yet terminated (joined once, so a huge line costs O(n)) */
  private partial: string[] = []
  /** the previous chunk ended in CR: a leading LF in the next one belongs to it */
  private skipLF = false
  /** nothing was read yet: a leading BOM is dropped */
  private atStart = true
  private data: string[] = []
  private hasData = false
  private event = ''
  /** not reset by dispatch: it holds until the server sets it again */
  private lastId = ''
  private readonly handlers: SseHandlers

  constructor(handlers: SseHandlers | ((event: SseEvent) => void)) {
    this.handlers = typeof handlers === 'function' ? { onEvent: handlers } : handlers
  }

  /** The last event id so far: what an EventSource would send back as Last-Event-ID. */
  get lastEventId(): string {
    return this.lastId
  }

  push(chunk: string): void {
    let start = 0
    if (this.atStart && chunk.length > 0) {
      this.atStart = false
      if (chunk.charCodeAt(0) === 0xfeff) start = 1
    }
    if (this.skipLF && chunk.length > start) {
      if (chunk.charCodeAt(start) === 10) start++
      this.skipLF = false
    }
    // Line ends found with indexOf (native) rather than a per-character loop: frames are long lines.
    let lf = chunk.indexOf('\n', start)
    let cr = chunk.indexOf('\r', start)
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
      let line = chunk.slice(start, end)
      if (this.partial.length > 0) {
        this.partial.push(line)
        line = this.partial.join('')
        this.partial = []
      }
      start = end + 1
      if (end === cr) {
        if (start < chunk.length) {
          if (chunk.charCodeAt(start) === 10) start++
        } else this.skipLF = true
      }
      if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start)
      if (cr !== -1 && cr < start) cr = chunk.indexOf('\r', start)
      this.line(line)
    }
    if (start < chunk.length) this.partial.push(chunk.slice(start))
  }

  /** End of stream: an event without its closing blank line is discarded, as the spec says. */
  end(): void {
    this.partial = []
    this.skipLF = false
    this.data = []
    this.hasData = false
    this.event = ''
  }

  private line(line: string): void {
    if (line.length === 0) return this.dispatch()
    if (line.charCodeAt(0) === 58 /* : */) {
      this.handlers.onComment?.(line.slice(1))
      return
    }
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1)
    switch (field) {
      case 'data':
        this.data.push(value)
        this.hasData = true
        break
      case 'id':
        if (!value.includes('\0')) this.lastId = value
        break
      case 'event':
        this.event = value
        break
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value))
        break
      // other fields are ignored
    }
  }

  private dispatch(): void {
    if (this.hasData) this.handlers.onEvent({ id: this.lastId, event: this.event || 'message', data: this.data.join('\n') })
    this.data = []
    this.hasData = false
    this.event = ''
  }
}
