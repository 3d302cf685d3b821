export interface SseMessage {
  event: string
  data: string
  id: string | undefined
}

/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream rules): feed it decoded text
 * chunks as they arrive, split anywhere; it calls `onMessage` once per dispatched event.
 */
export function createSseParser(onMessage: (message: SseMessage) => void): {
  push(chunk: string): void
  /** Forget a partial event, e.g. after the stream broke. */
  reset(): void
} {
  let buffer = ''
  let data: string[] = []
  let event = ''
  let id: string | undefined
  let lastId: string | undefined
  let first = true
  // A chunk ending in '\r' may be half of a '\r\n': wait for the next chunk before deciding.
  let pendingCr = false

  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) {
        lastId = id ?? lastId
        onMessage({ event: event || 'message', data: data.join('\n'), id: lastId })
      }
      data = []
      event = ''
      id = undefined
      return
    }
    if (text.startsWith(':')) return
    const colon = text.indexOf(':')
    const field = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') data.push(value)
    else if (field === 'event') event = value
    else if (field === 'id' && !value.includes('\0')) id = value
  }

  return {
    push(chunk) {
      if (first && chunk.length > 0) {
        first = false
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
      }
      if (pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1)
      pendingCr = false
      buffer += chunk
      let start = 0
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i)
        if (c !== 10 && c !== 13) continue
        line(buffer.slice(start, i))
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCr = true
          else if (buffer.charCodeAt(i + 1) === 10) i++
        }
        start = i + 1
      }
      buffer = buffer.slice(start)
    },
    reset() {
      buffer = ''
      data = []
      event = ''
      id = undefined
      pendingCr = false
    },
  }
}
