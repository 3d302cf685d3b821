import type { StoreHealth } from './types.js'

/**
 * When the store card turns amber or red (INSPECTOR.md lists the same):
 * - round trip of one PING: amber from 50 ms, red from 200 ms or when it failed (loopback Redis
 *   answers in well under 1 ms; Upstash's REST in another region, in tens of ms);
 * - memory: amber from 75% of maxmemory, red from 90% (Redis then evicts or refuses writes);
 * - errors: red when the last failed store call is less than 5 minutes old.
 */
export const LATENCY_WARN_MS = 50
export const LATENCY_BAD_MS = 200
export const MEMORY_WARN = 0.75
export const MEMORY_BAD = 0.9
export const RECENT_ERROR_MS = 5 * 60_000

export type Level = 'ok' | 'warn' | 'bad'

export function latencyLevel(ms: number | null): Level {
  if (ms === null || ms >= LATENCY_BAD_MS) return 'bad'
  return ms >= LATENCY_WARN_MS ? 'warn' : 'ok'
}

/** null: no maximum to measure against. */
export function memoryLevel(memory: StoreHealth['memory']): Level | null {
  if (!memory || memory.max === null || memory.max <= 0) return null
  const share = memory.used / memory.max
  return share >= MEMORY_BAD ? 'bad' : share >= MEMORY_WARN ? 'warn' : 'ok'
}

export function errorsLevel(health: StoreHealth, now: number): Level {
  const last = health.errors[0]
  return last && now - last.at < RECENT_ERROR_MS ? 'bad' : 'ok'
}

/** The worst of the three: the card's own colour. */
export function storeLevel(health: StoreHealth, now: number): Level {
  const levels = [latencyLevel(health.latencyMs), memoryLevel(health.memory) ?? 'ok', errorsLevel(health, now)]
  return levels.includes('bad') ? 'bad' : levels.includes('warn') ? 'warn' : 'ok'
}

/** 1536 → "1.5 KiB", 3 × 2^30 → "3.0 GiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`
}

export function formatLatency(ms: number | null): string {
  if (ms === null) return 'failed'
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`
}
