import { describe, expect, it } from 'vitest'
import { memoryStore } from '../store/memory.js'
import { readFeedPage } from './feed-history.js'

const bounds = { maxEntries: 1000, keepMs: 60_000 }
const entry = (from: number, n: number) =>
  JSON.stringify({ d: 0, e: Array.from({ length: n }, (_, i) => ({ type: 'message:in', event: 'note', data: { n: from + i, tag: (from + i) % 50 === 7 ? 'needle' : 'hay' }, at: 0 })) })

describe('feed history pages', () => {
  it('pages newest first, cursors falling inside entries, every row once', async () => {
    const store = memoryStore()
    // 30 entries of 7 rows: page boundaries fall inside entries.
    for (let i = 0; i < 30; i++) await store.appendFeed(entry(i * 7, 7), bounds)
    const seen: number[] = []
    let before: string | undefined
    for (let page = 0; page < 100; page++) {
      const p = await readFeedPage(store, { before, limit: 20 })
      seen.push(...p.events.map((e) => (e.data as { n: number }).n))
      if (!p.next) break
      before = p.next
    }
    expect(seen).toEqual(Array.from({ length: 210 }, (_, i) => 209 - i))
  })

  it('searches payloads on the server, and says where to search further when the scan bound is reached', async () => {
    const store = memoryStore()
    for (let i = 0; i < 30; i++) await store.appendFeed(entry(i * 7, 7), bounds)
    const p = await readFeedPage(store, { q: 'NEEDLE', limit: 100 })
    expect(p.events.map((e) => (e.data as { n: number }).n)).toEqual([207, 157, 107, 57, 7])
    expect(p.next).toBeNull()
    expect(p.scanned).toBe(30)
  })
})
