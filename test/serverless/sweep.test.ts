// The sweep under the platform emulator: nothing runs between requests, so sessions whose
// clients vanished (streams aborted, no disconnect POST) are ended by the platform's cron request
// (GET {base}/_sweep with the cron secret) and by nothing else. onDisconnect runs exactly once per
// vanished session (counted in Redis by the function app) and never for a live one.
//
// The one option set here is the one under test: disconnectTimeout 10 s (heartbeats every 2 s),
// so a vanished session is due within the test's time. A live client has disconnectTimeout less a
// heartbeat (8 s) between the end of one request and the start of its next to come back; on Lambda
// style every request is a cold start, and on a loaded CI machine one took longer than the 4 s that
// 6 s left (3 s left 1 s: a live polling session was ended, then revived). A larger pool of
// pre-started instances keeps node's boot off most requests' path.
import { describe, expect, it } from 'vitest'
import { client, counter, cuttableFetch, deploy, lifecycle, sleep, type Client } from './harness.js'

const DISCONNECT_TIMEOUT = 10_000
const ROUNDS = 10
const timing = { DISCONNECT_TIMEOUT: String(DISCONNECT_TIMEOUT), PING_INTERVAL: '2000' }

async function vanishing(url: string, transport: 'sse' | 'polling'): Promise<Client & { vanish(): void }> {
  const net = cuttableFetch()
  const c = await client(url, transport, { fetch: net.fetch })
  return { ...c, vanish: net.cut }
}

describe('sweep under the platform emulator', () => {
  it('cron ends vanished sessions, and nothing else does: the sweep route, its key, onDisconnect once each', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, env: timing })
    const gone = await Promise.all([vanishing(platform.url, 'sse'), vanishing(platform.url, 'polling'), vanishing(platform.url, 'sse')])
    for (const c of gone) c.vanish()

    // Long past disconnectTimeout, and no request came: no timer anywhere may have ended them.
    await sleep(DISCONNECT_TIMEOUT + 2000)
    expect([...(await counter(redis, 'disconnects')).keys()]).toEqual([])

    // The sweep route wants the cron secret; a refused request changes nothing (DESIGN §5).
    const noKey = await fetch(`${platform.url}/_sweep`)
    const wrongKey = await fetch(`${platform.url}/_sweep`, { method: 'POST', headers: { authorization: 'Bearer nope' } })
    const noKeyBody = (await noKey.json().catch(() => null)) as { error?: { code?: string } } | null
    await wrongKey.body?.cancel()
    const afterRefused = await counter(redis, 'disconnects')
    const first = await platform.cron()
    const second = await platform.cron()
    const disconnects = await counter(redis, 'disconnects')
    console.log(
      `${platform.summary('sweep, vanished only')}; vanished ${gone.length}, no key ${noKey.status}, wrong key ${wrongKey.status}, ` +
        `onDisconnect after the refused requests ${afterRefused.size}, cron answers ${JSON.stringify([first, second])}, ` +
        `onDisconnect ${JSON.stringify(Object.fromEntries(disconnects))}`,
    )
    expect([noKey.status, noKeyBody?.error?.code, wrongKey.status]).toEqual([401, 'UNAUTHORIZED', 401])
    expect(Object.fromEntries(afterRefused), 'sessions ended by requests refused with 401').toEqual({})
    expect(first).toEqual({ status: 200, body: { ended: gone.length } })
    expect(second).toEqual({ status: 200, body: { ended: 0 } })
    expect(Object.fromEntries(disconnects)).toEqual(Object.fromEntries(gone.map((c) => [c.id, 1])))
  }, 60_000)

  it.each([
    { style: 'Lambda style', concurrency: 1 },
    { style: 'Fluid style', concurrency: 8 },
  ])('$style: live clients (SSE and polling) are never ended; vanished ones exactly once, while cron runs', async ({ style, concurrency }) => {
    const { redis, platform } = await deploy({ concurrency, pool: 6, env: timing, lostResponses: 0.1, loseRoutes: ['/message', '/ack'], seed: 9 })
    const live = await Promise.all([client(platform.url, 'sse'), client(platform.url, 'polling')])
    const gone = await Promise.all([
      vanishing(platform.url, 'sse'),
      vanishing(platform.url, 'polling'),
      vanishing(platform.url, 'sse'),
      vanishing(platform.url, 'polling'),
    ])
    gone[0]!.vanish()
    gone[1]!.vanish()
    const start = Date.now()
    // Cron every second for 10 rounds while the live clients keep talking; two more vanish half-way.
    /** each cron's answer: the number it ended, or its status */
    const crons: (number | string)[] = []
    const cron = async () => {
      const r = await platform.cron()
      crons.push(r.status === 200 ? (r.body as { ended: number }).ended : `status ${r.status}`)
    }
    const echoes: unknown[] = []
    for (let t = 0; t < ROUNDS; t++) {
      if (t === ROUNDS / 2) {
        gone[2]!.vanish()
        gone[3]!.vanish()
      }
      echoes.push(...(await Promise.all(live.map((c, i) => c.socket.emitWithAck('echo', { t, i })))))
      await cron()
      await sleep(1000)
    }
    // An ending whose instance died mid-way (a request running a due sweep, cut because its client
    // vanished) is taken up again once its lease (30 s) lapses: wait that long at most.
    const deadline = Date.now() + 35_000
    while (Date.now() < deadline && (await counter(redis, 'disconnects')).size < gone.length) {
      await cron()
      await sleep(1000)
    }
    const allEndedAfter = Date.now() - start
    const disconnects = await counter(redis, 'disconnects')
    // Told in the assertion's message, so that it is kept in front of the failure: each session's
    // lifecycle and requests (start, wait for the instance, length), live ones first.
    let story = ''
    if ([...disconnects.values()].some((n) => n !== 1) || disconnects.size !== gone.length) {
      const requests = (c: Client) =>
        platform.log.filter((e) => e.sid === c.id).map((e) => `${e.method} ${e.route}#${e.instance} +${e.start - start}ms wait ${e.wait} ${e.outcome} ${e.ms}ms`)
      story =
        `lifecycle:\n${(await lifecycle(redis, [...live, ...gone].map((c) => c.id), start)).join('\n')}\n` +
        [...live, ...gone].map((c, i) => `${i < live.length ? 'live' : 'vanished'} ${c.transport} ${c.id}: ${requests(c).join(', ')}`).join('\n')
    }
    console.log(
      `${platform.summary(`sweep, live and vanished, ${style}`)}; live ${live.length}, vanished ${gone.length}, all ended ${allEndedAfter} ms after the first vanished, cron answers ${crons.join(' ')}, ` +
        `onDisconnect ${JSON.stringify(Object.fromEntries(disconnects))}`,
    )
    expect(Object.fromEntries(disconnects), story).toEqual(Object.fromEntries(gone.map((c) => [c.id, 1])))
    expect(echoes).toEqual(Array.from({ length: ROUNDS }, (_, t) => live.map((_, i) => ({ t, i }))).flat())
    for (const c of live) expect(c.socket.connected).toBe(true)
    expect(await Promise.all(live.map((c) => c.socket.emitWithAck('echo', 'still here')))).toEqual(live.map(() => 'still here'))
  }, 90_000)
})
