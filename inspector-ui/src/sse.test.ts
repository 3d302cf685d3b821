import { describe, expect, it } from 'vitest'
import { createSseParser, type SseMessage } from './sse.js'

function parse(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = []
  const parser = createSseParser((m) => out.push(m))
  for (const c of chunks) parser.push(c)
  return out
}

describe('createSseParser', () => {
  it('dispatches one message per blank line and ignores comments', () => {
    expect(parse([': hello\n\ndata: {"a":1}\n\ndata: 2\n\n'])).toEqual([
      { event: 'message', data: '{"a":1}', id: undefined },
      { event: 'message', data: '2', id: undefined },
    ])
  })

  it('joins multi-line data, reads event and id, strips one leading space', () => {
    expect(parse(['event: feed\nid: 7\ndata:  two spaces\ndata:x\n\n'])).toEqual([
      { event: 'feed', data: ' two spaces\nx', id: '7' },
    ])
  })

  it('survives chunks split anywhere, including inside CRLF', () => {
    const text = 'data: {"type":"connect","sid":"a"}\r\n\r\ndata: {"type":"join"}\r\n\r\n'
    for (let cut = 1; cut < text.length; cut++) {
      const messages = parse([text.slice(0, cut), text.slice(cut)])
      expect(messages.map((m) => m.data)).toEqual(['{"type":"connect","sid":"a"}', '{"type":"join"}'])
    }
  })

  it('accepts bare CR line endings and a BOM', () => {
    expect(parse(['\ufeffdata: a\r\rdata: b\r\r']).map((m) => m.data)).toEqual(['a', 'b'])
  })

  it('does not dispatch an event without data, nor a partial one', () => {
    expect(parse(['event: x\n\n', 'data: half'])).toEqual([])
  })

  it('keeps the last id for later events', () => {
    expect(parse(['id: 1\ndata: a\n\ndata: b\n\n']).map((m) => m.id)).toEqual(['1', '1'])
  })
})
