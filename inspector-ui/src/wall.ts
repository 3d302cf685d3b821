import type { FeedEvent, FeedStatus, InspectorRequest, InspectorResponse } from './types.js'

/**
 * Everything the inspector reads or does goes through a wall: the HTTP API for an admin page or
 * the standalone page, a relay for the DevTools panel. The React tree knows only this.
 */
export interface InspectorWall {
  /**
   * Subscribe to the live feed. `onStatus` reports the feed's connection (optional: a wall without
   * a notion of connection may never call it). Returns the unsubscribe function.
   */
  listen(onEvent: (event: FeedEvent) => void, onStatus?: (status: FeedStatus) => void): () => void
  /** Ask for data or run an admin action; rejects with an `InspectorError` on refusal. */
  send<R extends InspectorRequest>(request: R): Promise<InspectorResponse<R>>
}

export type { FeedEvent, FeedStatus, InspectorRequest, InspectorResponse }
