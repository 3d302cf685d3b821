import { describe, expect, it } from 'vitest'
import { createInspectorRelay } from './inspector-relay.js'
import type { InspectorCommand } from './protocol.js'

const target = { endpoint: 'https://app.test/api/socket', token: 't' }

describe('inspector relay wall', () => {
  it('sends requests and settles them with their replies', async () => {
    const sent: InspectorCommand[] = []
    let n = 0
    const relay = createInspectorRelay({ send: (c) => sent.push(c), newId: () => `id${++n}` })
    const wall = relay.wall(target)
    const ok = wall.send({ type: 'snapshot' })
    const bad = wall.send({ type: 'metrics' })
    expect(sent).toEqual([
      { kind: 'inspector:send', id: 'id1', target, request: { type: 'snapshot' } },
      { kind: 'inspector:send', id: 'id2', target, request: { type: 'metrics' } },
    ])
    relay.handle({ kind: 'inspector:reply', id: 'id2', ok: false, error: { code: 'UNAUTHORIZED', message: 'token', status: 401 } })
    relay.handle({ kind: 'inspector:reply', id: 'id1', ok: true, value: { sessions: [] } })
    await expect(ok).resolves.toEqual({ sessions: [] })
    await expect(bad).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401, message: 'token' })
  })

  it('times out a request nobody answers', async () => {
    const timers: (() => void)[] = []
    const relay = createInspectorRelay({ send: () => {}, setTimer: (fn) => timers.push(fn), clearTimer: () => {} })
    const p = relay.wall(target).send({ type: 'snapshot' })
    timers[0]()
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT' })
  })

  it('delivers feed events and statuses, re-listens after a restart, and unlistens once', () => {
    const sent: InspectorCommand[] = []
    const relay = createInspectorRelay({ send: (c) => sent.push(c), newId: () => 'L' })
    const events: unknown[] = []
    const statuses: unknown[] = []
    const stop = relay.wall(target).listen((e) => events.push(e), (s) => statuses.push(s))
    relay.handle({ kind: 'inspector:status', id: 'L', status: 'open' })
    relay.handle({ kind: 'inspector:event', id: 'L', event: { type: 'connect' } })
    relay.handle({ kind: 'inspector:event', id: 'other', event: { type: 'nope' } })
    relay.relisten()
    stop()
    stop()
    relay.relisten()
    expect(events).toEqual([{ type: 'connect' }])
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting'])
    expect(sent.map((c) => c.kind)).toEqual(['inspector:listen', 'inspector:listen', 'inspector:unlisten'])
  })
})
