/** How many of its last failed calls a store keeps for StoreHealth.errors. */
export const RECENT_STORE_ERRORS = 10

/** A store's failed calls on this instance: a count, and the last few (bounded, in memory). */
export class RecentErrors {
  count = 0
  private last: { at: number; message: string }[] = []

  note(err: unknown): void {
    this.count++
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 300)
    this.last.unshift({ at: Date.now(), message })
    if (this.last.length > RECENT_STORE_ERRORS) this.last.length = RECENT_STORE_ERRORS
  }

  list(): { at: number; message: string }[] {
    return [...this.last]
  }
}

/** `INFO memory`'s used_memory, maxmemory (0: none) and maxmemory_policy. */
export function parseInfoMemory(info: string): { used: number; max: number | null; policy?: string } | undefined {
  const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim()
  const used = Number(field('used_memory'))
  if (!Number.isFinite(used) || field('used_memory') === undefined) return undefined
  const max = Number(field('maxmemory'))
  const policy = field('maxmemory_policy')
  return { used, max: Number.isFinite(max) && max > 0 ? max : null, ...(policy ? { policy } : {}) }
}
