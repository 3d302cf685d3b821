import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../store/memory.js'
import { parseInfoMemory } from '../store/recent-errors.js'
import { VERSION } from '../version.js'
import { BEAT_MS, InstanceBeat, INSTANCES_LIST, listInstances, silentAfter } from './instances.js'

describe('instance list', () => {
  it('shows the newest record of each instance, silent ones marked, and the package version', async () => {
    const store = new MemoryStore()
    const a = new InstanceBeat(store)
    const b = new InstanceBeat(store)
    const t0 = Date.now()
    a.streams(3)
    await a.write(t0 - 120_000)
    await b.write(t0 - 90_000)
    a.streams(7)
    expect(a.due(t0)).toBe(true)
    await a.write(t0)
    expect(a.due(t0 + BEAT_MS - 1)).toBe(false)
    // a line that is not a record does not break the list
    await store.pushRecent(INSTANCES_LIST, ['not json'], 256, 600)
    const list = await listInstances(store, a.id, 25_000, t0)
    expect(list.map((i) => [i.id, i.streams, i.status, i.self, i.version])).toEqual([
      [a.id, 7, 'live', true, VERSION],
      [b.id, 0, 'silent', false, VERSION],
    ])
    expect(silentAfter(25_000)).toBe(60_000)
    expect(silentAfter(60_000)).toBe(125_000)
  })

  it('VERSION is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(VERSION).toBe(pkg.version)
  })

  it('reads INFO memory', () => {
    const info = '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n'
    expect(parseInfoMemory(info)).toEqual({ used: 1048576, max: null, policy: 'noeviction' })
    expect(parseInfoMemory('used_memory:10\nmaxmemory:100\n')).toEqual({ used: 10, max: 100 })
    expect(parseInfoMemory('# nothing here')).toBeUndefined()
  })
})
