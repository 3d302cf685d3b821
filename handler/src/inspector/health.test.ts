import { describe, expect, it } from 'vitest'
import { encodeCursor } from '@socket-serve/client/protocol'
import type { SessionRecord } from '../store/types.js'
import { ackStats, BOUNDS } from './metrics.js'
import { health } from './snapshot.js'

const opts = { opts: { pingInterval: 25_000, pingTimeout: 20_000 } }
const now = 1_000_000_000
const record = (over: Partial<SessionRecord>, saved?: Record<string, number>): SessionRecord => ({
  sid: 's',
  token: 't',
  user: undefined,
  state: {},
  rooms: {},
  transport: 'sse',
  createdAt: now - 60_000,
  lastSeen: now - 1000,
  ...(saved ? { cursor: encodeCursor(new Map(Object.entries({ d: 0, ...saved }))) } : {}),
  ...over,
})

describe('session health (thresholds of INSPECTOR.md)', () => {
  it('tells live, stale, never-streamed, not-reading and backlog apart', () => {
    const streaming = { '@at': now - 2000 }
    expect(health(opts, record({}, streaming), { queued: 3 }, now)).toBe('live')
    // in-flight lag is not a backlog; 3,400 queued messages are
    expect(health(opts, record({}, streaming), { queued: 3400 }, now)).toBe('backlog')
    // a client that never opened a stream is not "connected · sse"
    expect(health(opts, record({}), { queued: 0 }, now)).toBe('never-streamed')
    expect(health(opts, record({ createdAt: now - 2000 }), { queued: 0 }, now)).toBe('live')
    // a killed client: its stream closed 6 s ago and none reopened
    expect(health(opts, record({}, { '@at': now - 6000, '@closed': 1 }), { queued: 0 }, now)).toBe('stale')
    expect(health(opts, record({}, { '@at': now - 1000, '@closed': 1 }), { queued: 0 }, now)).toBe('live')
    // nothing heard for longer than pingInterval + 5 s
    expect(health(opts, record({ lastSeen: now - 31_000 }, streaming), { queued: 0 }, now)).toBe('stale')
    // a reader that stopped reading: its stream holds 64 KiB or more it has not taken
    expect(health(opts, record({}, { ...streaming, '@unread': 70_000 }), { queued: 0 }, now)).toBe('not-reading')
    expect(health(opts, record({}, { ...streaming, '@unread': 2_000 }), { queued: 0 }, now)).toBe('live')
  })
})

describe('percentiles (one method: the upper bound of the bucket holding the rank)', () => {
  const counts = (at: Record<number, number>) => Array.from({ length: BOUNDS.length + 1 }, (_, i) => at[i] ?? 0)
  it('reads a 7 s latency as at most 10 s, a 20 s one as at most 30 s, and beyond the last bound as null', () => {
    const i10s = BOUNDS.indexOf(10_000)
    const i30s = BOUNDS.indexOf(30_000)
    expect(ackStats('e', 'client', counts({ [i10s]: 1 })).p50).toBe(10_000)
    expect(ackStats('e', 'client', counts({ [i30s]: 1 })).p50).toBe(30_000)
    expect(ackStats('e', 'client', counts({ [BOUNDS.length]: 1 })).p50).toBeNull()
  })
  it('names what it measures and counts failures beside the latencies', () => {
    const s = ackStats('e', 'server', counts({ 0: 2 }), 3)
    expect([s.measures, s.count, s.failed, s.p50]).toEqual(['round trip', 2, 3, 1])
    expect(ackStats('e', 'client', counts({})).measures).toBe('handler time')
  })
})
