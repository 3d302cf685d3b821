// Per-sender order with POSTs in flight side by side (issue 13, item 7), under the platform
// emulator: Lambda style, so every POST in flight runs on an instance of its own. A client keeps
// several POSTs in flight by default; a slow handler holds back none of its sender's later
// messages, yet the room still gets each sender's messages in emit order.
import { describe, expect, it } from 'vitest'
import { client, counter, deploy, posts, runsOff, sleep, tally, until, type Client } from './harness.js'

const ROOM = 'r'
/**
 * Per sender: ROUNDS of one slow message and FAST fast ones. The slow one's handler emits to the
 * room, then works until the next message's handler has run (at most SLOW_MS): with one POST at a
 * time that never happens (the next message waits for its answer); pipelined, it always does,
 * however long cold starts take.
 */
const ROUNDS = 3
const FAST = 4
const SLOW_MS = 15_000
const PER_SENDER = ROUNDS * (1 + FAST)

describe('per-sender order with POSTs side by side on several instances', () => {
  it('chat messages (room emit, then slow work): 0 lost, 0 duplicated, emit order kept; the successor of a slow message runs while it runs', async () => {
    const { redis, platform } = await deploy({ concurrency: 1, seed: 5 })
    const clients = await Promise.all([client(platform.url, 'sse'), client(platform.url, 'polling'), client(platform.url, 'sse')])
    for (const c of clients) expect(await c.socket.emitWithAck('join', { room: ROOM })).toBe('joined')
    const received: string[][] = clients.map((c) => {
      const got: string[] = []
      c.socket.on('msg', (m: { room: string; uid: string }) => void (m.room === ROOM && got.push(m.uid)))
      return got
    })

    // Two senders; the third client only listens. Each emit leaves in a POST of its own.
    const senders = clients.slice(0, 2)
    const sent: string[] = []
    const ackOrder: number[][] = senders.map(() => [])
    const wrongAcks: string[] = []
    const t0 = Date.now()
    await Promise.all(
      senders.map(async (c: Client, s) => {
        const acks: Promise<void>[] = []
        const emit = (k: number, work: number) => {
          const uid = `c${s}-${k}`
          sent.push(uid)
          const data = work ? { room: ROOM, uid, work, waitFor: `c${s}-${k + 1}` } : { room: ROOM, uid }
          const ack = c.socket.emitWithAck('chat', data, { timeout: 30_000 }).then(
            (reply: { uid?: string; waited?: string }) =>
              void (reply?.uid === uid && (!work || reply.waited === 'ran') ? ackOrder[s]!.push(k) : wrongAcks.push(`${uid}: ${JSON.stringify(reply)}`)),
            (err: { code?: string }) => void wrongAcks.push(`${uid}: ${err.code}`),
          )
          acks.push(ack)
          return ack
        }
        // A slow message, then the fast ones in POSTs of their own, two in flight at a time, while it runs.
        for (let k = 0; k < PER_SENDER; ) {
          emit(k++, SLOW_MS)
          for (let f = 0; f < FAST; f += 2) {
            await sleep(25)
            const first = emit(k++, 0)
            await sleep(25)
            await Promise.all([first, emit(k++, 0)])
          }
          await sleep(25)
        }
        await Promise.all(acks)
      }),
    )
    const all = await until(() => received.every((got) => got.length >= sent.length), 30_000)
    await sleep(500) // duplicates would arrive now
    const runs = await counter(redis, 'runs')

    // POSTs of one sender that ran at the same time on different instances.
    const sideBySide = senders.map((c) => {
      const mine = platform.log.filter((e) => e.sid === c.id && e.method === 'POST' && e.route === '/message')
      return mine.filter((a, i) => mine.some((b, j) => j !== i && b.instance !== a.instance && b.start < a.start + a.ms && a.start < b.start + b.ms)).length
    })
    console.log(
      `${platform.summary('per-sender order')}; ${sent.length} messages in ${Date.now() - t0} ms, received ${received.map((g) => g.length).join('/')}, ` +
        `POSTs side by side on different instances ${sideBySide.join('/')}; ack order ${ackOrder.map((o) => o.join(',')).join(' | ')}`,
    )
    received.forEach((got, i) => {
      const t = tally(got, sent)
      expect({ client: i, lost: t.lost, duplicated: t.duplicated, outOfOrder: t.outOfOrder }, `client ${i} got ${got.join(',')}`).toEqual({
        client: i,
        lost: [],
        duplicated: [],
        outOfOrder: 0,
      })
    })
    expect(all).toBe(true)
    expect(wrongAcks).toEqual([])
    expect(runsOff(runs, sent)).toEqual([])
    // Pipelined: every slow handler saw its successor run while it ran (wrongAcks above holds a
    // 'timeout' otherwise), on another instance, and every message was answered.
    for (const order of ackOrder) expect(order.length, `posts ${senders.map((c) => posts(platform, c.id)).join(' || ')}`).toBe(PER_SENDER)
    for (const n of sideBySide) expect(n).toBeGreaterThan(0)
  }, 90_000)
})
