import { describe, expect, it } from 'vitest'
import { formatBytes, formatLatency, latencyLevel, memoryLevel, storeLevel } from './store-health.js'

describe('store health levels', () => {
  it('colours latency, memory and errors by the documented thresholds', () => {
    expect([latencyLevel(0.4), latencyLevel(50), latencyLevel(199), latencyLevel(200), latencyLevel(null)]).toEqual(['ok', 'warn', 'warn', 'bad', 'bad'])
    expect(memoryLevel({ used: 10, max: null })).toBeNull()
    expect([memoryLevel({ used: 74, max: 100 }), memoryLevel({ used: 75, max: 100 }), memoryLevel({ used: 90, max: 100 })]).toEqual(['ok', 'warn', 'bad'])
    const now = 1_000_000
    const base = { kind: 'redis' as const, latencyMs: 1, errorCount: 0, errors: [] }
    expect(storeLevel(base, now)).toBe('ok')
    expect(storeLevel({ ...base, memory: { used: 80, max: 100 } }, now)).toBe('warn')
    expect(storeLevel({ ...base, errorCount: 1, errors: [{ at: now - 1000, message: 'x' }] }, now)).toBe('bad')
    expect(storeLevel({ ...base, errorCount: 1, errors: [{ at: now - 6 * 60_000, message: 'x' }] }, now)).toBe('ok')
  })

  it('formats bytes and latency', () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 2 ** 30)]).toEqual(['512 B', '1.5 KiB', '3.0 GiB'])
    expect([formatLatency(0.123), formatLatency(42.4), formatLatency(null)]).toEqual(['0.12 ms', '42 ms', 'failed'])
  })
})
