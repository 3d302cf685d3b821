/**
 * What the core reports as traffic flows, to plugins (the inspector). With no
 * plugin observing, the server holds NO_OBSERVER, whose methods do nothing: the
 * hot path pays one empty call per message. The core knows only this interface.
 */
export interface FeedEvent {
  type: 'connect' | 'disconnect' | 'join' | 'leave' | 'message:in' | 'message:out' | 'ack'
  sid?: string
  event?: string
  room?: string
  data?: unknown
  latency?: number
  direction?: 'client' | 'server'
  reason?: string
  at: number
}

export interface Observer {
  /** streams record how far they got (saveCursor), for queued counts: costs store writes, so only when asked */
  readonly wantsCursors?: boolean
  /** a client message ran; ms = time in the handler when it was acked */
  messageIn(sid: string, event: string, data: unknown, ackMs?: number): void
  /** an emit was stored for delivery */
  messageOut(target: { sid?: string; room?: string }, event: string, data: unknown): void
  /** frames written to streams on this instance */
  delivered(count: number): void
  /** a server emitWithAck was answered by its client */
  serverAck(sid: string, event: string, ms: number): void
  lifecycle(type: 'connect' | 'disconnect' | 'join' | 'leave', sid: string, extra?: { room?: string; reason?: string }): void
  /**
   * Store writes the observer has queued (metrics, feed events), taken at the end of a
   * request: handed to the platform's waitUntil when it has one (`eager`: every time),
   * else awaited within the request (at most once a second). Undefined when nothing is due.
   */
  pendingWork(eager: boolean): Promise<unknown> | undefined
  close(): Promise<void>
}

export const NO_OBSERVER: Observer = {
  messageIn() {},
  messageOut() {},
  delivered() {},
  serverAck() {},
  lifecycle() {},
  pendingWork: () => undefined,
  close: async () => {},
}

/** One observer that tells every plugin's observer. */
export function combineObservers(list: Observer[]): Observer {
  if (list.length === 0) return NO_OBSERVER
  if (list.length === 1) return list[0]!
  return {
    wantsCursors: list.some((o) => o.wantsCursors),
    messageIn: (...a) => list.forEach((o) => o.messageIn(...a)),
    messageOut: (...a) => list.forEach((o) => o.messageOut(...a)),
    delivered: (...a) => list.forEach((o) => o.delivered(...a)),
    serverAck: (...a) => list.forEach((o) => o.serverAck(...a)),
    lifecycle: (...a) => list.forEach((o) => o.lifecycle(...a)),
    pendingWork(eager) {
      const work = list.map((o) => o.pendingWork(eager)).filter((w) => w !== undefined)
      return work.length ? Promise.allSettled(work) : undefined
    },
    close: async () => {
      await Promise.allSettled(list.map((o) => o.close()))
    },
  }
}
