/** The part of `chrome.runtime.Port` the relay uses, so it runs (and is tested) without Chrome. */
export interface PortLike<In = unknown, Out = unknown> {
  readonly name: string
  /** set by Chrome, not by the other end: the extension id, the page's URL, the tab (content scripts only) */
  readonly sender?: { id?: string; url?: string; origin?: string; tab?: { id?: number; url?: string } }
  postMessage(message: Out): void
  disconnect(): void
  onMessage: { addListener(fn: (message: In, port: PortLike<In, Out>) => void): void }
  onDisconnect: { addListener(fn: (port: PortLike<In, Out>) => void): void }
}

/** A connected pair of in-memory ports (tests; the same delivery order as Chrome's). */
export function portPair<A, B>(name: string, sender?: PortLike['sender']): [PortLike<B, A>, PortLike<A, B>] {
  const make = (): PortLike<any, any> & { _msg: Set<(m: unknown, p: any) => void>; _dis: Set<(p: any) => void>; _peer?: any; _open: boolean } => {
    const p: any = {
      name,
      _msg: new Set(),
      _dis: new Set(),
      _open: true,
      onMessage: { addListener: (fn: any) => p._msg.add(fn) },
      onDisconnect: { addListener: (fn: any) => p._dis.add(fn) },
      postMessage(message: unknown) {
        if (!p._open) throw new Error('Attempting to use a disconnected port object')
        const peer = p._peer
        const copy = JSON.parse(JSON.stringify(message)) as unknown
        queueMicrotask(() => {
          if (peer._open) for (const fn of [...peer._msg]) fn(copy, peer)
        })
      },
      disconnect() {
        if (!p._open) return
        p._open = false
        const peer = p._peer
        // Like Chrome: only the other end hears about a disconnect().
        queueMicrotask(() => {
          if (!peer._open) return
          peer._open = false
          for (const fn of [...peer._dis]) fn(peer)
        })
      },
    }
    return p
  }
  const a = make()
  const b = make()
  a._peer = b
  b._peer = a
  ;(b as any).sender = sender
  return [a, b]
}
