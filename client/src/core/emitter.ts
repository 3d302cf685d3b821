// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => void

type Registered = Listener & { listener?: Listener }

/**
 * A minimal event emitter. Listener errors are rethrown on a fresh microtask
 * instead of propagating: a throwing application handler must not break the
 * receive loop that dispatched it, yet the error still surfaces (console in
 * browsers, uncaught exception in Node, as EventEmitter would).
 */
export class Emitter {
  private readonly listeners = new Map<string, Registered[]>()

  on(event: string, fn: Listener): void {
    const list = this.listeners.get(event)
    if (list) list.push(fn)
    else this.listeners.set(event, [fn])
  }

  once(event: string, fn: Listener): void {
    const wrapper: Registered = (...args) => {
      this.off(event, wrapper)
      fn(...args)
    }
    wrapper.listener = fn
    this.on(event, wrapper)
  }

  /** off(event, fn) removes one listener, off(event) all of an event, off() everything. */
  off(event?: string, fn?: Listener): void {
    if (event === undefined) return this.listeners.clear()
    if (fn === undefined) {
      this.listeners.delete(event)
      return
    }
    const list = this.listeners.get(event)
    if (!list) return
    const i = list.findIndex((l) => l === fn || l.listener === fn)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) this.listeners.delete(event)
  }

  has(event: string): boolean {
    return this.listeners.has(event)
  }

  listenersOf(event: string): Listener[] {
    return (this.listeners.get(event) ?? []).map((l) => l.listener ?? l)
  }

  emit(event: string, ...args: unknown[]): void {
    const list = this.listeners.get(event)
    if (!list) return
    // a snapshot: listeners added or removed while dispatching take effect next time
    for (const fn of list.slice()) {
      try {
        fn(...args)
      } catch (err) {
        rethrowLater(err)
      }
    }
  }
}

export function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err
  })
}
