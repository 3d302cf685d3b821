import { describe, expect, it } from 'vitest'
import { SseParser, type SseEvent } from './sse-parser.js'

function parse(chunks: string[]): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = []
  const comments: string[] = []
  const p = new SseParser((e) => events.push(e), (c) => comments.push(c))
  for (const c of chunks) p.push(c)
  p.end()
  return { events, comments }
}

const STREAM =
  'data: {"c":"open","sid":"s1","recovered":true,"pingInterval":25000}\n\n' +
  'id: d=13\ndata: {"e":"welcome","d":{"id":"x"}}\n\n' +
  ': heartbeat\n\n' +
  'id: r%3Alobby=41\ndata: {"e":"chat","d":{"text":"hi"},"a":"i7f3.12"}\n\n'

const EXPECTED: SseEvent[] = [
  { id: undefined, event: 'message', data: '{"c":"open","sid":"s1","recovered":true,"pingInterval":25000}' },
  { id: 'd=13', event: 'message', data: '{"e":"welcome","d":{"id":"x"}}' },
  { id: 'r%3Alobby=41', event: 'message', data: '{"e":"chat","d":{"text":"hi"},"a":"i7f3.12"}' },
]

describe('SseParser', () => {
  it('parses whole frames, ids per frame, and comments', () => {
    const { events, comments } = parse([STREAM])
    expect(events).toEqual(EXPECTED)
    expect(comments).toEqual([' heartbeat'])
  })

  it('gives the same result for every split point', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parse([STREAM.slice(0, i), STREAM.slice(i)]).events).toEqual(EXPECTED)
    }
  })

  it('survives one character per chunk', () => {
    expect(parse([...STREAM]).events).toEqual(EXPECTED)
  })

  it('accepts CRLF and lone CR line endings, even split between CR and LF', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n')
    expect(parse([crlf]).events).toEqual(EXPECTED)
    for (let i = 0; i <= crlf.length; i++) {
      expect(parse([crlf.slice(0, i), crlf.slice(i)]).events).toEqual(EXPECTED)
    }
    expect(parse([STREAM.replace(/\n/g, '\r')]).events).toEqual(EXPECTED)
  })

  it('joins multi-line data with \\n and strips one leading space only', () => {
    const { events } = parse(['data: a\ndata:  b\ndata:c\ndata\n\n'])
    expect(events).toEqual([{ id: undefined, event: 'message', data: 'a\n b\nc\n' }])
  })

  it('skips events without data, drops an unterminated last event, ignores retry/unknown fields', () => {
    const { events } = parse(['id: d=1\n\nretry: 10\nfoo: bar\nevent: x\ndata: y\n\ndata: partial'])
    expect(events).toEqual([{ id: undefined, event: 'x', data: 'y' }])
  })

  it('does not carry an id over to the next frame', () => {
    const { events } = parse(['id: d=1\ndata: a\n\ndata: b\n\n'])
    expect(events.map((e) => e.id)).toEqual(['d=1', undefined])
  })

  it('handles a large frame split in many chunks', () => {
    const big = 'x'.repeat(200_000)
    const text = `data: ${big}\n\n`
    const chunks: string[] = []
    for (let i = 0; i < text.length; i += 997) chunks.push(text.slice(i, i + 997))
    expect(parse(chunks).events[0].data).toBe(big)
  })
})
