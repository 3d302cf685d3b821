import { describe, expect, it } from 'vitest'
import { keepAliveInterval } from './hub.js'

describe('keepAliveInterval: how often a session with a stream here refreshes its live-index entry', () => {
  it('at the defaults, once per heartbeat (25 s: 2.4 store calls a minute), leaving a quiet client 20 s', () => {
    expect(keepAliveInterval(25_000, 45_000)).toBe(25_000)
    // A client that goes quiet right after the last refresh has disconnectTimeout less this to come back.
    expect(45_000 - keepAliveInterval(25_000, 45_000)).toBe(20_000)
  })

  it('with a short disconnectTimeout, once per heartbeat', () => {
    expect(keepAliveInterval(200, 1000)).toBe(200)
  })

  it('before disconnectTimeout runs out even when it is shorter than pingInterval', () => {
    // The chat demo's presence test: the default heartbeat (25 s) but sessions end after 6 s
    // without a sign of life. Refreshing every 25 s let other instances' sweeps end live sessions.
    expect(keepAliveInterval(25_000, 6000)).toBe(4000)
    for (const [ping, timeout] of [[25_000, 6000], [25_000, 20_000], [60_000, 45_000], [1000, 1500]]) {
      expect(keepAliveInterval(ping!, timeout!)).toBeLessThan(timeout!)
    }
  })
})
