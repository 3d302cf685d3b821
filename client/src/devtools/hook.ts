/**
 * The page-side DevTools hook (React DevTools style): a global the extension
 * installs before the page runs. The client only ever reads it; each call site
 * does one property read and builds its payload only when the hook exists.
 */
export type DevtoolsEventType = 'state' | 'frame:in' | 'frame:out' | 'ack'

export interface DevtoolsHook {
  emit(type: DevtoolsEventType, payload: Record<string, unknown>): void
}

const HOOK = '__SOCKET_SERVE_DEVTOOLS_HOOK__'

export function devtoolsHook(): DevtoolsHook | undefined {
  const hook = (globalThis as Record<string, unknown>)[HOOK] as DevtoolsHook | undefined
  return hook !== undefined && typeof hook.emit === 'function' ? hook : undefined
}

/** A misbehaving hook must never break the socket. */
export function report(hook: DevtoolsHook, type: DevtoolsEventType, payload: Record<string, unknown>): void {
  try {
    hook.emit(type, payload)
  } catch {
    // ignored on purpose
  }
}
