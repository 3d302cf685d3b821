/**
 * The extension's message protocol, one table for every hop:
 *
 *   page (hook.ts, MAIN world) --window.postMessage--> content.ts (ISOLATED)
 *   content.ts --runtime port "socket-serve:content"--> background.ts <--port "socket-serve:panel"-- panel
 *
 * Every type here is plain JSON so each hop can be tested without Chrome.
 */

/** The global the client SDK reports to (client/src/devtools/hook.ts). */
export const HOOK_NAME = '__SOCKET_SERVE_DEVTOOLS_HOOK__'
/** `source` of window messages posted by the hook; anything else on the window is not ours. */
export const HOOK_SOURCE = 'socket-serve-devtools-hook'
/** `source` of window messages posted by the content script back to the hook. */
export const CONTENT_SOURCE = 'socket-serve-devtools-content'
export const CONTENT_PORT = 'socket-serve:content'
export const PANEL_PORT = 'socket-serve:panel'

export type HookEventType = 'state' | 'frame:in' | 'frame:out' | 'ack'

/** One report of the client SDK, numbered by the hook in page order. */
export interface HookEvent {
  seq: number
  type: HookEventType
  payload: Record<string, unknown>
}

/** What the hook knows about one client socket (also answered to `inspectedWindow.eval`). */
export interface SocketSummary {
  socket: number
  /** the SDK's connect route, e.g. https://host/api/socket/connect */
  url?: string
  /** the mount path the app gave to connect(), without query: where `_inspector/` lives */
  endpoint?: string
  state?: string
  sid?: string
  transport?: string
}

export interface HookSummary {
  version: 1
  sockets: SocketSummary[]
  /** events the hook dropped because its buffer was full before the relay was ready */
  dropped: number
}

// ---- page <-> content (window.postMessage) -----------------------------------

export type PageMessage =
  | { source: typeof HOOK_SOURCE; kind: 'hello' }
  | { source: typeof HOOK_SOURCE; kind: 'events'; events: HookEvent[]; dropped: number }

export type ContentPageMessage = { source: typeof CONTENT_SOURCE; kind: 'ready' }

// ---- content <-> background ---------------------------------------------------

/** A document's identity: a new one (navigation, reload) starts a new log. */
export interface PageInfo {
  docId: string
  url: string
  time: number
}

export type ContentToBackground =
  | { kind: 'page'; page: PageInfo }
  | { kind: 'events'; events: HookEvent[]; dropped: number }
  | InspectorReply

export type BackgroundToContent = InspectorCommand

// ---- panel <-> background -----------------------------------------------------

export type PanelToBackground = { kind: 'init'; tabId: number } | InspectorCommand

export type BackgroundToPanel =
  /** sent after init: what the worker kept for the tab (possibly across a restart) */
  | { kind: 'backlog'; page?: PageInfo; events: HookEvent[]; dropped: number; connected: boolean }
  | { kind: 'page'; page: PageInfo; reset: boolean }
  | { kind: 'events'; events: HookEvent[]; dropped: number }
  | { kind: 'content'; connected: boolean }
  | InspectorReply

// ---- the inspector relay (panel -> page's origin) ------------------------------
// The Server view's wall: the content script calls the inspector API from the page's origin, so
// the handler's same-origin check passes without configuring CORS for the extension.

export interface InspectorTarget {
  endpoint: string
  token: string
}

export type InspectorCommand =
  | { kind: 'inspector:send'; id: string; target: InspectorTarget; request: { type: string; [key: string]: unknown } }
  | { kind: 'inspector:listen'; id: string; target: InspectorTarget }
  | { kind: 'inspector:unlisten'; id: string }

export interface InspectorErrorShape {
  code: string
  message: string
  status?: number
}

export type InspectorReply =
  | { kind: 'inspector:reply'; id: string; ok: true; value: unknown }
  | { kind: 'inspector:reply'; id: string; ok: false; error: InspectorErrorShape }
  | { kind: 'inspector:event'; id: string; event: unknown }
  | { kind: 'inspector:status'; id: string; status: string }

export function isInspectorCommand(m: { kind?: unknown }): m is InspectorCommand {
  return m.kind === 'inspector:send' || m.kind === 'inspector:listen' || m.kind === 'inspector:unlisten'
}

export function isInspectorReply(m: { kind?: unknown }): m is InspectorReply {
  return m.kind === 'inspector:reply' || m.kind === 'inspector:event' || m.kind === 'inspector:status'
}

/** `https://host/api/socket/connect?x=1` -> `https://host/api/socket` (the SDK's routes are `{base}/<route>`). */
export function endpointOf(connectUrl: string): string | undefined {
  try {
    const u = new URL(connectUrl)
    u.search = ''
    u.hash = ''
    u.pathname = u.pathname.replace(/\/connect\/?$/, '')
    return u.href.replace(/\/+$/, '')
  } catch {
    return undefined
  }
}
