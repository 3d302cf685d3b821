/**
 * Failed inspector token attempts, throttled per client address and in total, so the token cannot
 * be guessed at request speed (issue 15: 1,277 guesses/s). Fixed windows counted inside requests:
 * no timers. Memory is bounded: at most `maxAddresses` addresses are tracked; past that, the
 * oldest entries go (an attacker with many addresses still meets the global bound).
 * Per instance: on a platform with many instances each has its own counts.
 */
export interface ThrottleOptions {
  /** failures one address may make per window (default 10) */
  perAddress?: number
  /** failures all addresses together may make per window (default 100) */
  total?: number
  /** ms (default 60000) */
  windowMs?: number
  /** addresses tracked at most (default 10000) */
  maxAddresses?: number
}

interface Window {
  start: number
  failures: number
}

export class TokenThrottle {
  private readonly perAddress: number
  private readonly total: number
  private readonly windowMs: number
  private readonly maxAddresses: number
  private readonly byAddress = new Map<string, Window>()
  private global: Window = { start: 0, failures: 0 }

  constructor(o: ThrottleOptions = {}) {
    this.perAddress = o.perAddress ?? 10
    this.total = o.total ?? 100
    this.windowMs = o.windowMs ?? 60_000
    this.maxAddresses = o.maxAddresses ?? 10_000
  }

  /** ms to wait before this address may try a token again; 0: it may try now. */
  retryAfter(address: string | undefined, now = Date.now()): number {
    const g = this.current(this.global, now)
    if (g.failures >= this.total) return g.start + this.windowMs - now
    const w = address === undefined ? undefined : this.byAddress.get(address)
    if (w && now - w.start < this.windowMs && w.failures >= this.perAddress) return w.start + this.windowMs - now
    return 0
  }

  failed(address: string | undefined, now = Date.now()): void {
    this.global = this.current(this.global, now)
    this.global.failures++
    if (address === undefined) return
    let w = this.byAddress.get(address)
    if (!w || now - w.start >= this.windowMs) {
      this.byAddress.delete(address)
      if (this.byAddress.size >= this.maxAddresses) this.evict(now)
      this.byAddress.set(address, (w = { start: now, failures: 0 }))
    }
    w.failures++
  }

  /** Tracked addresses (tests). */
  get size(): number {
    return this.byAddress.size
  }

  private current(w: Window, now: number): Window {
    return now - w.start >= this.windowMs ? { start: now, failures: 0 } : w
  }

  /** Expired windows first (the Map is in insertion order, oldest first); then the oldest tenth. */
  private evict(now: number): void {
    let budget = Math.max(1, Math.floor(this.maxAddresses / 10))
    for (const [address, w] of this.byAddress) {
      if (now - w.start < this.windowMs && budget <= 0) break
      this.byAddress.delete(address)
      budget--
    }
  }
}
