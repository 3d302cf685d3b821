// Acks in both directions under the platform emulator (Lambda style: every request its own
// instance, killed once it has answered), with POST answers lost after the handler ran.
import { describe, expect, it } from 'vitest'
import { client, counter, deploy, runsOff, sleep } from './harness.js'

/** What an ack turned into: the reply, or the error's code and how long it took. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string; ms: number }> {
  const start = Date.now()
  try {
    return { ok: true, value: await p }
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? String(err), ms: Date.now() - start }
  }
}

describe('acks under the platform emulator', () => {
  it('client -> server: every emitWithAck gets its own reply despite lost answers; 1 handler run each', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, lostResponses: 0.25, seed: 14 }) // loses the 1st message POST's answer, and more
    const clients = await Promise.all([client(platform.url, 'sse'), client(platform.url, 'polling'), client(platform.url, 'sse')])
    const PER = 15
    const uids: string[] = []
    const results = await Promise.all(
      clients.map(async (c, s) => {
        const out: { uid: string; r: Awaited<ReturnType<typeof settle>> }[] = []
        // Waves of three: one POST carries up to three messages, acks come back together.
        for (let k = 0; k < PER; k += 3) {
          const wave = [k, k + 1, k + 2].filter((j) => j < PER).map((j) => {
            const uid = `c${s}-${j}`
            uids.push(uid)
            return settle(c.socket.emitWithAck('echo', { uid, n: j, work: 10 })).then((r) => out.push({ uid, r }))
          })
          await Promise.all(wave)
        }
        return out
      }),
    )
    const runs = await counter(redis, 'runs')
    const flat = results.flat()
    const wrong = flat.filter(({ uid, r }) => !r.ok || (r.value as { uid: string }).uid !== uid)
    console.log(
      `${platform.summary('acks client->server')}; emitWithAck ${flat.length}, right replies ${flat.length - wrong.length}, ` +
        `handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}`,
    )
    expect(wrong.map(({ uid, r }) => `${uid}: ${r.ok ? JSON.stringify(r.value) : `${r.code} after ${r.ms} ms`}`)).toEqual([])
    expect(runsOff(runs, uids)).toEqual([])
    expect(platform.counts.lostResponses).toBeGreaterThan(0)
  }, 90_000)

  it('client -> server: a retry that overlaps its first attempt (handler still running past 15 s) gets the real ack, 1 run', async () => {
    // A platform time limit above the handler's 18 s (Vercel allows up to 300 s).
    const { redis, platform } = await deploy({ concurrency: 1, maxDuration: 40_000 })
    const c = await client(platform.url, 'sse')
    // The first attempt's client connection is cut 300 ms in; its instance goes on running the
    // 18 s handler. The client's retries arrive while it still runs.
    platform.cutNext('/message', 300)
    const r = await settle(c.socket.emitWithAck('echo', { uid: 'slow-0', work: 18_000 }, { timeout: 40_000 }))
    const runs = await counter(redis, 'runs')
    console.log(`${platform.summary('acks overlapping retry')}; reply ${r.ok ? JSON.stringify(r.value) : `${r.code} after ${r.ms} ms`}`)
    expect(r.ok ? r.value : `${r.code} after ${r.ms} ms`).toEqual({ uid: 'slow-0', work: 18_000 })
    expect(runsOff(runs, ['slow-0'])).toEqual([])
    expect(platform.counts.cutRequests).toBe(1)
    expect(platform.counts.requests['/message']).toBeGreaterThan(1)
  }, 60_000)

  it('server -> client: a handler\'s socket.emitWithAck gets the client\'s answer, and the client gets it back', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, lostResponses: 0.2, seed: 5 })
    const clients = await Promise.all([client(platform.url, 'sse'), client(platform.url, 'polling'), client(platform.url, 'sse')])
    const questions = clients.map(() => 0)
    clients.forEach((c, i) =>
      c.socket.on('question', (q: { x: number }, ack: (a: unknown) => void) => {
        questions[i]++
        ack({ double: q.x * 2, by: c.id })
      }),
    )
    const ASKS = 5
    const uids: string[] = []
    const results = await Promise.all(
      clients.map(async (c, s) => {
        const out: string[] = []
        for (let k = 0; k < ASKS; k++) {
          const uid = `c${s}-${k}`
          uids.push(uid)
          const x = s * 100 + k
          // Every request here is a cold start (2-5 s on a loaded 2-core CI machine), and an ask is a
          // chain of them (the message, a retry after a lost answer, the client's POST /ack): the
          // default 10 s ack timeout measures the emulator's cold starts, not what is tested here.
          const r = await settle(c.socket.emitWithAck('ask', { uid, x }, { timeout: 30_000 }))
          const want = { answer: { double: x * 2, by: c.id } }
          if (!r.ok) out.push(`${uid}: ${r.code} after ${r.ms} ms`)
          else if (JSON.stringify(r.value) !== JSON.stringify(want)) out.push(`${uid}: ${JSON.stringify(r.value)}`)
          await sleep(50)
        }
        return out
      }),
    )
    const runs = await counter(redis, 'runs')
    console.log(
      `${platform.summary('acks server->client')}; asks ${uids.length}, questions answered by clients ${questions.join('/')}, ` +
        `wrong ${results.flat().length}, handler runs ${[...runs.values()].reduce((a, b) => a + b, 0)}`,
    )
    expect(results.flat()).toEqual([])
    expect(runsOff(runs, uids)).toEqual([])
    // Each question reached its client once (a retried ask never asks twice).
    expect(questions).toEqual(clients.map(() => ASKS))
  }, 90_000)
})
