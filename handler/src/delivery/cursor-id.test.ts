import { describe, expect, it } from 'vitest'
import { resumePositions, roomPosition, roomTag, sessionMark } from './cursor-id.js'

describe('cursor ids', () => {
  it('names a room by a short tag of letters, whatever the length of its name', () => {
    const long = 'x'.repeat(256)
    for (const room of ['lobby', 'General chat', '{x}*', long, 'é🙂']) {
      expect(roomTag('sid1', room)).toMatch(/^[A-Za-z_-]{8}$/)
      expect(roomTag('sid1', room, true)).toMatch(/^[A-Za-z_-]{16}$/)
    }
    expect(sessionMark('sid1')).toMatch(/^[A-Za-z_-]{4}$/)
  })

  it('is stable per session and differs between sessions and rooms', () => {
    expect(roomTag('sid1', 'lobby')).toBe(roomTag('sid1', 'lobby'))
    expect(roomTag('sid1', 'lobby')).not.toBe(roomTag('sid2', 'lobby'))
    const tags = new Set<string>()
    for (let i = 0; i < 20_000; i++) tags.add(roomTag('sid1', `room-${i}`))
    expect(tags.size).toBe(20_000)
  })

  it('takes positions only from a cursor of the same session', () => {
    const sid = 'abc'
    const text = `${sessionMark(sid)}.d12.*3.${roomTag(sid, 'lobby')}40`
    expect(resumePositions(text, sid).positions).toEqual(new Map([['d', 12], ['*', 3], [roomTag(sid, 'lobby'), 40]]))
    expect(resumePositions(`${sessionMark(sid)}.d12Abcd.*3Wxyz`, sid).epochs).toEqual(new Map([['d', 'Abcd'], ['*', 'Wxyz']]))
    expect(resumePositions(text, 'other').positions).toEqual(new Map())
    expect(resumePositions('d=12,r%3Alobby=40', sid).positions).toEqual(new Map())
    expect(resumePositions(undefined, sid).positions).toEqual(new Map())
  })

  it('ignores a short tag two rooms share, and finds a long tag', () => {
    const sid = 'abc'
    const positions = new Map([[roomTag(sid, 'a'), 40], [roomTag(sid, 'b', true), 7]])
    expect(roomPosition(positions, sid, 'a', () => false)).toBe(40)
    expect(roomPosition(positions, sid, 'a', () => true)).toBeUndefined()
    expect(roomPosition(positions, sid, 'b', () => true)).toBe(7)
    expect(roomPosition(positions, sid, 'c', () => false)).toBeUndefined()
  })
})
