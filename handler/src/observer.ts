/**
 * What the core reports as traffic flows, to plugins (the inspector). With no
 * plugin observing, the server holds NO_OBSERVER, whose methods do nothing: the
 * hot path pays one empty call per message. The core knows only this interface.
 */
export interface FeedEvent {
  type: 'connect' | 'disconnect' | 'join' | 'leave' | 'message:in' | 'message:out' | 'ack' | 'error'
  sid?: string
  event?: string
  room?: string
  data?: unknown
  latency?: number
  direction?: 'client' | 'server'
  reason?: string
  /** type 'error': what failed (Failure.kind) and its error code */
  kind?: Failure['kind']
  code?: string
  route?: string
  /** message:in: the client's message id (with sid, it names the message) */
  message?: number
  /** message:in of a message the client wanted acked: how its handler ended */
  ack?: MessageResult
  at: number
}

/** How a client message's handler ended: the ack its client got, and the time in the handler. */
export interface MessageResult {
  status: 'ok' | 'error' | 'timeout'
  /** the error code of an error or timeout */
  code?: string
  message?: string
  ms: number
}

/**
 * Something that went wrong, as the core saw it. `handler`: a client message's handler threw
 * or refused (its ack carries the error); `handler-timeout`: a callback handler never called
 * ack within ackTimeout; `ack-timeout`: a server emitWithAck got no answer from its client;
 * `refused`: a request was answered with an error (by code and route).
 */
export interface Failure {
  kind: 'handler' | 'handler-timeout' | 'ack-timeout' | 'refused'
  code: string
  message?: string
  sid?: string
  /** a registered event's name (never a name the client made up: those are refused as UNKNOWN_EVENT without one) */
  event?: string
  /** the rooms the session was in when its handler failed */
  rooms?: string[]
  /** the route of a refused request (`/message`, `/sse`, ...) */
  route?: string
}

export interface Observer {
  /** streams record how far they got (saveCursor), for queued counts: costs store writes, so only when asked */
  readonly wantsCursors?: boolean
  /**
   * new sessions keep their client's address and user agent in their record (SessionRecord.client):
   * no extra store call, but a few bytes per session, so only when asked
   */
  readonly wantsClients?: boolean
  /** this instance's id as the observer names it: streams add it to the cursor they save (wantsCursors) */
  readonly instance?: string
  /** how many streams are open on this instance: told as they open and close, and at their heartbeats */
  streams?(open: number): void
  /**
   * a client message ran; ackMs = time in the handler when a registered event was acked (metrics);
   * `result`: its id and how it ended (`ack` when the client asked for an ack), for the feed
   */
  messageIn(sid: string, event: string, data: unknown, ackMs?: number, result?: { id: number; ack?: MessageResult }): void
  /** an emit was stored for delivery */
  messageOut(target: { sid?: string; room?: string }, event: string, data: unknown): void
  /** frames written to streams on this instance */
  delivered(count: number): void
  /** a server emitWithAck was answered by its client */
  serverAck(sid: string, event: string, ms: number): void
  lifecycle(type: 'connect' | 'disconnect' | 'join' | 'leave', sid: string, extra?: { room?: string; reason?: string }): void
  /** something failed (see Failure) */
  failure(f: Failure): void
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
  failure() {},
  pendingWork: () => undefined,
  close: async () => {},
}

/** One observer that tells every plugin's observer. */
export function combineObservers(list: Observer[]): Observer {
  if (list.length === 0) return NO_OBSERVER
  if (list.length === 1) return list[0]!
  return {
    wantsCursors: list.some((o) => o.wantsCursors),
    wantsClients: list.some((o) => o.wantsClients),
    instance: list.find((o) => o.instance !== undefined)?.instance,
    streams: (...a) => list.forEach((o) => o.streams?.(...a)),
    messageIn: (...a) => list.forEach((o) => o.messageIn(...a)),
    messageOut: (...a) => list.forEach((o) => o.messageOut(...a)),
    delivered: (...a) => list.forEach((o) => o.delivered(...a)),
    serverAck: (...a) => list.forEach((o) => o.serverAck(...a)),
    lifecycle: (...a) => list.forEach((o) => o.lifecycle(...a)),
    failure: (f) => list.forEach((o) => o.failure(f)),
    pendingWork(eager) {
      const work = list.map((o) => o.pendingWork(eager)).filter((w) => w !== undefined)
      return work.length ? Promise.allSettled(work) : undefined
    },
    close: async () => {
      await Promise.allSettled(list.map((o) => o.close()))
    },
  }
}
