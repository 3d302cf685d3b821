import { CONTENT_SOURCE, HOOK_SOURCE, type ContentPageMessage, type PageMessage } from './protocol.js'

interface WindowMessage {
  source: unknown
  data: unknown
}

/**
 * The hook's messages only: posted by this very window (not a frame, not an opener) and tagged.
 * Anything the page says is data, never a command to the extension.
 */
export function hookMessage(event: WindowMessage, self: unknown): PageMessage | undefined {
  if (event.source !== self) return undefined
  const data = event.data as { source?: unknown; kind?: unknown; events?: unknown } | null
  if (data === null || typeof data !== 'object' || data.source !== HOOK_SOURCE) return undefined
  if (data.kind === 'hello') return data as PageMessage
  if (data.kind === 'events' && Array.isArray(data.events)) return data as PageMessage
  return undefined
}

/** The content script's "relay ready" answer, as the hook sees it. */
export function contentMessage(event: WindowMessage, self: unknown): ContentPageMessage | undefined {
  if (event.source !== self) return undefined
  const data = event.data as { source?: unknown; kind?: unknown } | null
  if (data === null || typeof data !== 'object' || data.source !== CONTENT_SOURCE || data.kind !== 'ready') return undefined
  return data as ContentPageMessage
}
