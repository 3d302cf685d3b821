import { describe, expect, it } from 'vitest'
import { decodeCursor, frameId } from '../protocol/wire.js'
import { CursorTracker } from './cursor.js'

describe('CursorTracker', () => {
  it('accepts increasing sequences per key and drops replays', () => {
    const c = new CursorTracker()
    expect(c.accept('d=1')).toBe(true)
    expect(c.accept('d=2')).toBe(true)
    expect(c.accept('d=2')).toBe(false)
    expect(c.accept('d=1')).toBe(false)
    expect(c.accept(frameId('r:lobby', 40))).toBe(true)
    expect(c.accept(frameId('r:lobby', 39))).toBe(false)
    expect(c.accept('d=5')).toBe(true) // a gap is the server's to report (recovered: false)
    expect(c.accept('d=3')).toBe(false)
  })

  it('lets frames without a usable id through untracked', () => {
    const c = new CursorTracker()
    expect(c.accept(undefined)).toBe(true)
    expect(c.accept('garbage')).toBe(true)
    expect(c.accept('d=x')).toBe(true)
    expect(c.accept('%E0%A4%A=1')).toBe(true)
    expect(c.header()).toBe('')
  })

  it('encodes the Last-Event-ID header so the server can decode it', () => {
    const c = new CursorTracker()
    c.accept('d=12')
    c.accept(frameId('r:lobby, b=c', 40))
    c.accept(frameId('r:*', 7))
    expect(c.header()).toBe('d=12,r%3Alobby%2C%20b%3Dc=40,r%3A*=7')
    expect(decodeCursor(c.header())).toEqual(new Map([['d', 12], ['r:lobby, b=c', 40], ['r:*', 7]]))
    c.clear()
    expect(c.header()).toBe('')
  })
})
