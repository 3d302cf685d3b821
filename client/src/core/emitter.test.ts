import { describe, expect, it } from 'vitest'
import { Emitter } from './emitter.js'

describe('Emitter', () => {
  it('supports on, once and off (also for once listeners)', () => {
    const e = new Emitter()
    const calls: string[] = []
    const a = (x: string) => calls.push(`a${x}`)
    const b = (x: string) => calls.push(`b${x}`)
    e.on('ev', a)
    e.once('ev', b)
    e.emit('ev', '1')
    e.emit('ev', '2')
    expect(calls).toEqual(['a1', 'b1', 'a2'])
    const c = (x: string) => calls.push(`c${x}`)
    e.once('ev', c)
    e.off('ev', c)
    e.off('ev', a)
    e.emit('ev', '3')
    expect(calls).toEqual(['a1', 'b1', 'a2'])
  })
})
