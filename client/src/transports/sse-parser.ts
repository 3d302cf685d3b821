/** One event of a text/event-stream. `id` is set only when the event itself had an `id:` line. */
export interface SseEvent {
  id: string | undefined
  event: string
  data: string
}

/**
 * An incremental text/event-stream parser (WHATWG HTML §9.2.6), fed decoded
 * text in chunks that may split anywhere, even between the CR and LF of a
 * CRLF. Unlike EventSource, `id` is reported per event rather than carried
 * over: our frame ids are per-log cursors, meaningful only on their own frame.
 */
export class SseParser {
  /** pieces of a line not yet terminated (joined once, so a huge line costs O(n)) */
  private partial: string[] = []
  /** the previous chunk ended in CR: a leading LF in the next one belongs to it */
  private skipLF = false
  private data: string[] = []
  private hasData = false
  private id: string | undefined
  private event = ''

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onComment?: (text: string) => void,
  ) {}

  push(chunk: string): void {
    let start = 0
    if (this.skipLF && chunk.length > 0) {
      if (chunk.charCodeAt(0) === 10) start = 1
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
    this.reset()
  }

  private line(line: string): void {
    if (line.length === 0) return this.dispatch()
    if (line.charCodeAt(0) === 58 /* : */) {
      this.onComment?.(line.slice(1))
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
        if (!value.includes('\0')) this.id = value
        break
      case 'event':
        this.event = value
        break
      // `retry` and unknown fields are ignored: reconnection is ours to pace
    }
  }

  private dispatch(): void {
    if (this.hasData) this.onEvent({ id: this.id, event: this.event || 'message', data: this.data.join('\n') })
    this.reset()
  }

  private reset(): void {
    this.data = []
    this.hasData = false
    this.id = undefined
    this.event = ''
  }
}
