import { describe, expect, it } from 'vitest'
import { SseParser, type SseEvent } from './sse-parser.js'

interface Parsed {
  events: SseEvent[]
  comments: string[]
  retries: number[]
}

function parse(chunks: string[]): Parsed {
  const out: Parsed = { events: [], comments: [], retries: [] }
  const p = new SseParser({
    onEvent: (e) => out.events.push(e),
    onComment: (c) => out.comments.push(c),
    onRetry: (ms) => out.retries.push(ms),
  })
  for (const c of chunks) p.push(c)
  p.end()
  return out
}

/** Every way of cutting `text` in two, and one character per chunk. */
function splits(text: string): string[][] {
  const out: string[][] = [[...text]]
  for (let i = 0; i <= text.length; i++) out.push([text.slice(0, i), text.slice(i)])
  return out
}

const STREAM =
  'retry: 1000\ndata: {"c":"open","sid":"s1","recovered":true,"pingInterval":25000}\n\n' +
  'id: QxTb.d13\ndata: {"e":"welcome","d":{"id":"x"}}\n\n' +
  ': heartbeat\n\n' +
  'id: QxTb.KfTqzLmB41.d13\ndata: {"e":"chat","d":{"text":"hi"},"a":"i7f3.12"}\n\n'

const EXPECTED: SseEvent[] = [
  { id: '', event: 'message', data: '{"c":"open","sid":"s1","recovered":true,"pingInterval":25000}' },
  { id: 'QxTb.d13', event: 'message', data: '{"e":"welcome","d":{"id":"x"}}' },
  { id: 'QxTb.KfTqzLmB41.d13', event: 'message', data: '{"e":"chat","d":{"text":"hi"},"a":"i7f3.12"}' },
]

describe('SseParser (WHATWG HTML, interpreting an event stream)', () => {
  it('parses events, ids, comments and retry', () => {
    expect(parse([STREAM])).toEqual({ events: EXPECTED, comments: [' heartbeat'], retries: [1000] })
  })

  it('gives the same result however the text is cut into chunks', () => {
    for (const chunks of splits(STREAM)) expect(parse(chunks).events).toEqual(EXPECTED)
  })

  it('takes LF, CRLF and lone CR as line ends, a CRLF cut between its CR and LF included', () => {
    for (const end of ['\r\n', '\r']) {
      const text = STREAM.replace(/\n/g, end)
      for (const chunks of splits(text)) expect(parse(chunks).events).toEqual(EXPECTED)
    }
    // mixed in one stream; CR then LF in the next chunk is one line end, not two
    expect(parse(['data: a\r', '\ndata: b\n\r', '\n']).events).toEqual([{ id: '', event: 'message', data: 'a\nb' }])
    expect(parse(['data: a\r', '\r']).events).toEqual([{ id: '', event: 'message', data: 'a' }])
  })

  it('drops one BOM at the start of the stream only, in whatever chunk it comes', () => {
    expect(parse(['\ufeffdata: a\n\n']).events.map((e) => e.data)).toEqual(['a'])
    expect(parse(['', '\ufeff', 'data: a\n\n']).events.map((e) => e.data)).toEqual(['a'])
    // a second BOM is part of the first field's name: an unknown field, ignored
    expect(parse(['\ufeff\ufeffdata: a\n\ndata: b\n\n']).events.map((e) => e.data)).toEqual(['b'])
    // later BOMs are text
    expect(parse(['data: a\n\ndata: \ufeffb\n\n']).events.map((e) => e.data)).toEqual(['a', '\ufeffb'])
  })

  it('joins data lines with LF, strips one leading space only, and reads a field without colon as empty', () => {
    expect(parse(['data: a\ndata:  b\ndata:c\ndata\n\n']).events).toEqual([{ id: '', event: 'message', data: 'a\n b\nc\n' }])
    expect(parse(['data\n\n']).events).toEqual([{ id: '', event: 'message', data: '' }])
    expect(parse(['data:a:b\n\n']).events[0]!.data).toBe('a:b')
  })

  it('dispatches on a blank line only: nothing without data, nothing unterminated at the end', () => {
    expect(parse(['event: x\n\nid: 1\n\nretry: 5\n\ndata: partial']).events).toEqual([])
    expect(parse(['data: a\n', '\n']).events).toHaveLength(1)
  })

  it('names events with event:, which does not carry over to the next event', () => {
    expect(parse(['event: feed\ndata: a\n\ndata: b\n\n']).events.map((e) => e.event)).toEqual(['feed', 'message'])
  })

  it('keeps the last event id for later events, as EventSource does; an empty id clears it', () => {
    const { events } = parse(['id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\n\ndata: d\n\n'])
    expect(events.map((e) => e.id)).toEqual(['1', '1', '', '2'])
  })

  it('ignores an id containing NUL', () => {
    const p = new SseParser(() => {})
    p.push('id: ok\n\nid: a\0b\ndata: x\n\n')
    expect(p.lastEventId).toBe('ok')
    expect(parse(['id: 1\ndata: a\n\nid: a\0b\ndata: b\n\n']).events.map((e) => e.id)).toEqual(['1', '1'])
  })

  it('takes retry: only when it is all ASCII digits', () => {
    expect(parse(['retry: 250\nretry: 2x\nretry: -1\nretry:  300\nretry: 3.5\nretry:\nretry: 0\n\n']).retries).toEqual([250, 0])
  })

  it('ignores comment lines and unknown fields', () => {
    const { events, comments } = parse([':\n: x\nfoo: bar\nDATA: no\ndata: yes\n\n'])
    expect(events.map((e) => e.data)).toEqual(['yes'])
    expect(comments).toEqual(['', ' x'])
  })

  it('reads a long line split into many chunks in linear time', () => {
    const big = 'x'.repeat(2_000_000)
    const text = `data: ${big}\n\n`
    const chunks: string[] = []
    for (let i = 0; i < text.length; i += 100) chunks.push(text.slice(i, i + 100))
    const started = performance.now()
    expect(parse(chunks).events[0]!.data).toBe(big)
    // 20,000 chunks: a parser that rescans its buffer per chunk does ~2e10 character steps here
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
