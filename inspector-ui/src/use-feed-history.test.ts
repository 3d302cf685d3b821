import { describe, expect, it } from 'vitest'
import type { FeedItem } from './feed.js'
import { routeOf } from './http-wall.js'
import { compareRowIds, mergeFeed } from './use-feed-history.js'

const row = (id: string, key: number): FeedItem => ({ type: 'message:in', at: 0, id, key })

describe('feed history in the UI', () => {
  it('orders row ids as the server does: entry time, entry sequence, index', () => {
    expect(compareRowIds('10-0.2', '10-0.10')).toBeLessThan(0)
    expect(compareRowIds('10-1.0', '10-0.99')).toBeGreaterThan(0)
    expect(compareRowIds('9-5.0', '10-0.0')).toBeLessThan(0)
    expect(compareRowIds('10-0.3', '10-0.3')).toBe(0)
  })

  it('puts history before live rows, each row once where the two overlap', () => {
    const older = [row('1-0.0', -1), row('2-0.0', -2), row('2-0.1', -3)]
    const live = [row('2-0.1', 1), row('3-0.0', 2)]
    expect(mergeFeed(older, live).map((r) => r.id)).toEqual(['1-0.0', '2-0.0', '2-0.1', '3-0.0'])
    expect(mergeFeed([], live)).toBe(live)
  })

  it('asks for history pages with only the parameters given', () => {
    expect(routeOf({ type: 'feed' })).toEqual({ method: 'GET', route: 'feed' })
    expect(routeOf({ type: 'feed', q: 'a b', before: '1-0.3', limit: 50 })).toEqual({ method: 'GET', route: 'feed?before=1-0.3&q=a+b&limit=50' })
  })
})
