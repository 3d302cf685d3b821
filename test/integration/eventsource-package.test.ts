// The `eventsource` package (the WHATWG EventSource for Node, written by no one here) reads our
// stream through cuts and drops: every message once, in order per log (test/support/standard-sse.ts).
import { EventSource } from 'eventsource'
import { standardClientSuite, type Received } from '../support/standard-sse.js'

standardClientSuite({
  name: 'the eventsource package',
  async open(url) {
    const got: Received[] = []
    const es = new EventSource(url)
    es.onmessage = (e) => got.push({ data: e.data, lastEventId: e.lastEventId })
    return {
      frames: async () => got,
      close: async () => es.close(),
    }
  },
})
