import type { Store, Subscription } from './types.js'

/**
 * A store whose implementation is loaded on first use. serve({ redisUrl }) is
 * synchronous, but the Redis store pulls in ioredis (Node-only): loading it
 * lazily keeps the core importable on edge runtimes that never ask for it.
 */
export function lazyStore(load: () => Promise<Store>): Store {
  let loaded: Promise<Store> | undefined
  const get = () => (loaded ??= load())

  const forward = (name: keyof Store) =>
    async (...args: unknown[]) => {
      const store = await get()
      return (store[name] as (...a: unknown[]) => unknown).apply(store, args)
    }

  const later = (subscribe: (s: Store) => Subscription): Subscription => {
    let inner: Subscription | undefined
    let cancelled = false
    const ready = get().then((s) => {
      if (cancelled) return
      inner = subscribe(s)
      return inner.ready
    })
    return {
      ready,
      unsubscribe() {
        cancelled = true
        inner?.unsubscribe()
      },
    }
  }

  const store: Store = {
    ownedByServer: true,
    createSession: forward('createSession'),
    getSession: forward('getSession'),
    setState: forward('setState'),
    touch: forward('touch'),
    keepAlive: forward('keepAlive'),
    seenAt: forward('seenAt'),
    idleSessions: forward('idleSessions'),
    sessionIds: forward('sessionIds'),
    liveCount: forward('liveCount'),
    beginEnd: forward('beginEnd'),
    markDisconnected: forward('markDisconnected'),
    finishEnd: forward('finishEnd'),
    revive: forward('revive'),
    deleteSession: forward('deleteSession'),
    claimMessages: forward('claimMessages'),
    renewLeases: forward('renewLeases'),
    startMessages: forward('startMessages'),
    finishMessages: forward('finishMessages'),
    joinRoom: forward('joinRoom'),
    restoreMemberships: forward('restoreMemberships'),
    dropMemberships: forward('dropMemberships'),
    leaveRoom: forward('leaveRoom'),
    members: forward('members'),
    admitConnect: forward('admitConnect'),
    append: forward('append'),
    read: forward('read'),
    readMany: forward('readMany'),
    head: forward('head'),
    position: forward('position'),
    signal: forward('signal'),
    saveCursor: forward('saveCursor'),
    addMetrics: forward('addMetrics'),
    readMetrics: forward('readMetrics'),
    setFlag: forward('setFlag'),
    hasFlag: forward('hasFlag'),
    pushRecent: forward('pushRecent'),
    readRecent: forward('readRecent'),
    appendFeed: forward('appendFeed'),
    readFeedBefore: forward('readFeedBefore'),
    readFeedAfter: forward('readFeedAfter'),
    // optional: the loaded store may not have it
    health: async () => {
      const loaded = await get()
      return loaded.health ? loaded.health() : undefined
    },
    subscribe: (key, listener) => later((s) => s.subscribe(key, listener)),
    onSignal: (channel, listener) => {
      const sub = later((s) => ({ ready: Promise.resolve(), unsubscribe: s.onSignal(channel, listener) }))
      sub.ready.catch(() => {})
      return sub.unsubscribe
    },
    close: async () => {
      if (loaded) await (await loaded).close()
    },
  } as Store
  return store
}
