import { describe, expect, it } from 'vitest'
import { LiveOrder } from './live-order.js'

describe('LiveOrder', () => {
  it('pages like an ordered array through adds, removals and compactions', () => {
    const order = new LiveOrder()
    const model: string[] = []
    let seed = 42
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
    for (let step = 0; step < 20_000; step++) {
      if (model.length === 0 || random(3) > 0) {
        const sid = `s${random(6000)}`
        order.add(sid)
        if (!model.includes(sid)) model.push(sid)
      } else {
        const sid = model[random(model.length)]!
        order.delete(sid)
        model.splice(model.indexOf(sid), 1)
      }
      if (step % 997 === 0) {
        expect(order.size).toBe(model.length)
        for (const offset of [0, 1, Math.floor(model.length / 2), model.length - 3, model.length]) {
          expect(order.slice(offset, 7)).toEqual(model.slice(Math.max(0, offset), Math.max(0, offset) + 7))
        }
      }
    }
    // Emptied, then filled again.
    for (const sid of [...model]) order.delete(sid)
    expect([order.size, order.slice(0, 10)]).toEqual([0, []])
    order.add('x')
    expect(order.slice(0, 10)).toEqual(['x'])
  })
})
