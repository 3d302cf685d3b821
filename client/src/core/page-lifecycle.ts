/**
 * Browser page lifecycle. 'pagehide' is the last reliable moment to tell the
 * server a tab is gone (unload is unreliable, and blocks the bfcache);
 * 'pageshow' with `persisted` means the page came back from the bfcache.
 * Outside a page (Node, Bun, Deno) this does nothing or never fires.
 */
export function watchPageLifecycle(handlers: { hide(): void; show(): void }): () => void {
  if (typeof addEventListener !== 'function' || typeof removeEventListener !== 'function') return () => {}
  const hide = () => handlers.hide()
  const show = (e: Event) => {
    if ((e as PageTransitionEvent).persisted) handlers.show()
  }
  addEventListener('pagehide', hide)
  addEventListener('pageshow', show)
  return () => {
    removeEventListener('pagehide', hide)
    removeEventListener('pageshow', show)
  }
}
