// Per-test resources, cleaned up after each test in reverse order of creation:
//
//   const cleanups = cleanupsAfterEach()
//   cleanups.push(() => redis.destroy())
//
// A cleanup that throws is logged; the others still run.
import { afterEach } from 'vitest'

export type Cleanup = () => Promise<unknown> | unknown

export function cleanupsAfterEach(): Cleanup[] {
  const cleanups: Cleanup[] = []
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn()
      } catch (e) {
        console.error('cleanup failed:', e)
      }
    }
  })
  return cleanups
}
