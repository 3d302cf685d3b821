import { describe, expect, it } from 'vitest'
import {
  appendBounded,
  concernsSession,
  emptyFeedFilter,
  filterSessions,
  matchesFeedFilter,
  previewData,
  userLabel,
  type FeedFilter,
} from './feed.js'
import type { FeedEvent, SessionInfo } from './types.js'

const ev = (e: Partial<FeedEvent>): FeedEvent => ({ type: 'message:in', at: 0, ...e })

describe('appendBounded', () => {
  it('keeps the newest `limit` items, oldest dropped first', () => {
    expect(appendBounded([1, 2, 3], [4, 5], 4)).toEqual([2, 3, 4, 5])
    expect(appendBounded([1], [2, 3, 4, 5, 6], 3)).toEqual([4, 5, 6])
    expect(appendBounded([], [1], 3)).toEqual([1])
  })
})

describe('matchesFeedFilter', () => {
  const f = (over: Partial<FeedFilter>): FeedFilter => ({ ...emptyFeedFilter(), ...over })

  it('matches everything with an empty filter', () => {
    expect(matchesFeedFilter(ev({ type: 'connect', sid: 'x' }), emptyFeedFilter())).toBe(true)
  })

  it('filters by type set, event substring and session-or-room substring, all combined', () => {
    const e = ev({ type: 'message:out', room: 'Lobby', event: 'chat.send' })
    expect(matchesFeedFilter(e, f({ types: new Set(['message:out']) }))).toBe(true)
    expect(matchesFeedFilter(e, f({ types: new Set(['ack', 'connect']) }))).toBe(false)
    expect(matchesFeedFilter(e, f({ event: 'CHAT' }))).toBe(true)
    expect(matchesFeedFilter(e, f({ event: 'typing' }))).toBe(false)
    expect(matchesFeedFilter(e, f({ target: 'lob' }))).toBe(true)
    expect(matchesFeedFilter(ev({ sid: 'abc123' }), f({ target: 'C12' }))).toBe(true)
    expect(matchesFeedFilter(ev({ sid: 'abc123' }), f({ target: 'zzz' }))).toBe(false)
    expect(matchesFeedFilter(e, f({ types: new Set(['message:out']), event: 'chat', target: 'nope' }))).toBe(false)
  })
})

describe('sessions', () => {
  const s = (id: string, over: Partial<SessionInfo> = {}): SessionInfo => ({ id, connected: true, rooms: [], queued: 0, ...over })
  const list = [
    s('k3J', { user: { name: 'Ada' }, rooms: ['lobby'], transport: 'sse' }),
    s('Zx9', { user: { name: 'Grace' }, rooms: ['lobby', 'ops'], transport: 'polling' }),
    s('Qq1'),
  ]

  it('searches id, user, transport and rooms, every word must match', () => {
    expect(filterSessions(list, '').length).toBe(3)
    expect(filterSessions(list, 'lobby').map((x) => x.id)).toEqual(['k3J', 'Zx9'])
    expect(filterSessions(list, 'lobby grace').map((x) => x.id)).toEqual(['Zx9'])
    expect(filterSessions(list, 'polling').map((x) => x.id)).toEqual(['Zx9'])
    expect(filterSessions(list, 'qq1').map((x) => x.id)).toEqual(['Qq1'])
  })

  it('labels users by a name-like field', () => {
    expect(userLabel({ name: 'Ada' })).toBe('Ada')
    expect(userLabel({ email: 'a@b' })).toBe('a@b')
    expect(userLabel('bob')).toBe('bob')
    expect(userLabel(undefined)).toBe('')
    expect(userLabel({ role: 'admin' })).toBe('{"role":"admin"}')
  })

  it('relates feed events to a session: its own, and room emits it gets', () => {
    expect(concernsSession(ev({ sid: 'a' }), 'a')).toBe(true)
    expect(concernsSession(ev({ sid: 'b' }), 'a')).toBe(false)
    expect(concernsSession(ev({ type: 'message:out', room: 'lobby' }), 'a', ['lobby'])).toBe(true)
    expect(concernsSession(ev({ type: 'message:out', room: '*' }), 'a')).toBe(true)
    expect(concernsSession(ev({ type: 'join', room: 'lobby', sid: 'b' }), 'a', ['lobby'])).toBe(false)
  })

  it('previews payloads on one line, truncated', () => {
    expect(previewData({ a: 1 })).toBe('{"a":1}')
    expect(previewData('x'.repeat(10), 5)).toBe('"xxx…')
    expect(previewData(undefined)).toBe('')
  })
})
