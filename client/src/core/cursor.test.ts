import { describe, expect, it } from 'vitest'
import { parseCursorId } from '../protocol/wire.js'
import { CursorTracker } from './cursor.js'

describe('CursorTracker', () => {
  it('dedupes by the first entry of the id (the frame own log) and drops replays', () => {
    const c = new CursorTracker()
    expect(c.accept('QxTb.d1')).toBe(true)
    expect(c.accept('QxTb.d2')).toBe(true)
    expect(c.accept('QxTb.d2')).toBe(false)
    expect(c.accept('QxTb.d1.KfTqzLmB40')).toBe(false)
    expect(c.accept('QxTb.KfTqzLmB40.d2')).toBe(true)
    expect(c.accept('QxTb.KfTqzLmB39.d2')).toBe(false)
    expect(c.accept('QxTb.*7.d2.KfTqzLmB40')).toBe(true)
    expect(c.accept('QxTb.d5.KfTqzLmB40.*7')).toBe(true) // a gap is the server's to report (recovered: false)
    expect(c.accept('QxTb.d3.KfTqzLmB40.*7')).toBe(false)
  })

  it('takes a frame of another epoch as a log that started again, not a replay', () => {
    const c = new CursorTracker()
    expect(c.accept('QxTb.KfTqzLmB40Ab.d2Cd')).toBe(true)
    expect(c.accept('QxTb.KfTqzLmB40Ab.d2Cd')).toBe(false)
    // the room's log was lost and started again: seq 1 of epoch Xy is new
    expect(c.accept('QxTb.KfTqzLmB1Xy.d2Cd')).toBe(true)
    expect(c.accept('QxTb.KfTqzLmB1Xy.d2Cd')).toBe(false)
    expect(c.accept('QxTb.KfTqzLmB2Xy.d2Cd')).toBe(true)
    // an id without an epoch is compared by seq alone
    expect(c.accept('QxTb.KfTqzLmB2.d2')).toBe(false)
  })

  it('lets frames without a usable id through untracked', () => {
    const c = new CursorTracker()
    expect(c.accept(undefined)).toBe(true)
    expect(c.accept('garbage')).toBe(true)
    expect(c.accept('QxTb.dx')).toBe(true)
    expect(c.accept('d=12')).toBe(true) // the old per-log form
    expect(c.header()).toBe('')
  })

  it('sends back the id of the last frame dispatched: the whole cursor', () => {
    const c = new CursorTracker()
    c.accept('QxTb.d12')
    c.accept('QxTb.KfTqzLmB40.d12')
    c.accept('QxTb.*7.d12.KfTqzLmB40')
    c.accept('QxTb.d12.KfTqzLmB40') // duplicate: not the cursor
    expect(c.header()).toBe('QxTb.*7.d12.KfTqzLmB40')
    expect(parseCursorId(c.header())).toEqual({ mark: 'QxTb', positions: new Map([['*', 7], ['d', 12], ['KfTqzLmB', 40]]), epochs: new Map() })
    c.clear()
    expect(c.header()).toBe('')
  })
})

describe('parseCursorId', () => {
  it('is lenient: malformed entries are skipped, a repeated key keeps its lowest seq', () => {
    expect(parseCursorId('QxTb.d12.bad.*x.7.KfTqzLmB40.d3')).toEqual({ mark: 'QxTb', positions: new Map([['d', 3], ['KfTqzLmB', 40]]), epochs: new Map() })
    expect(parseCursorId('QxTb.d1234567890123456')).toEqual({ mark: 'QxTb', positions: new Map(), epochs: new Map() })
  })

  it('reads the epoch after each seq', () => {
    expect(parseCursorId('QxTb.KfTqzLmB40Ab.d3.*7Zz')).toEqual({
      mark: 'QxTb',
      positions: new Map([['KfTqzLmB', 40], ['d', 3], ['*', 7]]),
      epochs: new Map([['KfTqzLmB', 'Ab'], ['*', 'Zz']]),
    })
  })

  it('refuses what has no mark, or the old key=seq form', () => {
    expect(parseCursorId('')).toBeUndefined()
    expect(parseCursorId(undefined)).toBeUndefined()
    expect(parseCursorId('.d12')).toBeUndefined()
    expect(parseCursorId('d=12,r%3Alobby=40')).toBeUndefined()
  })
})
