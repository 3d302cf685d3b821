// Session state under the platform emulator: a counter in socket.set/get, incremented by N
// messages (with and without acks) while every request runs on a fresh instance and answers are
// lost, ends at exactly N.
import { describe, expect, it } from 'vitest'
import { client, counter, deploy, runsOff } from './harness.js'

describe('session state under the platform emulator', () => {
  it.each([
    { transport: 'sse' as const, seed: 5 },
    { transport: 'polling' as const, seed: 11 },
  ])('a counter incremented by N messages over $transport ends at exactly N', async ({ transport, seed }) => {
    const { redis, platform } = await deploy({ concurrency: 1, lostResponses: 0.2, seed })
    const c = await client(platform.url, transport)
    const N = 30
    const uids: string[] = []
    /** position (1-based) -> the counter value its ack carried */
    const acks = new Map<number, unknown>()
    // Waves of three: two fire-and-forget messages, then one acked that the wave waits for, so
    // the N messages travel in at least N / 3 POSTs whatever the timing.
    for (let k = 1; k <= N; k++) {
      const uid = `s-${k}`
      uids.push(uid)
      if (k % 3 === 0) acks.set(k, await c.socket.emitWithAck('count', { uid, work: 5 }).catch((err: Error) => err))
      else c.socket.emit('count', { uid, work: 5 })
    }
    // The last word: one more acked message reads the counter after all N.
    const final = await c.socket.emitWithAck('count', { uid: 's-final' })
    const runs = await counter(redis, 'runs')
    console.log(
      `${platform.summary(`state over ${transport}`)}; messages ${N + 1}, acks ${acks.size + 1}, final counter ${JSON.stringify(final)}, ` +
        `handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}`,
    )
    expect(final).toBe(N + 1)
    // Each acked message saw exactly the increments before it.
    expect([...acks].filter(([k, n]) => n !== k).map(([k, n]) => `message ${k} acked ${n instanceof Error ? n.message : JSON.stringify(n)}`)).toEqual([])
    expect(runsOff(runs, [...uids, 's-final'])).toEqual([])
    expect(platform.counts.lostResponses).toBeGreaterThan(0)
  }, 60_000)
})
