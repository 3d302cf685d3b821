import type { Store } from '../store/types.js'
import { Feed } from './feed.js'
import { InstanceBeat } from './instances.js'
import { Metrics } from './metrics.js'
import type { Failure, MessageResult, Observer } from '../observer.js'

/** The observer used when an inspector is configured: metrics always, feed events while watched. */
export class Recorder implements Observer {
  readonly wantsCursors = true
  /** sessions keep their client's address and user agent: the inspector finds them by it */
  readonly wantsClients = true
  readonly metrics: Metrics
  readonly feed: Feed
  /** this instance in the instance list */
  readonly beat: InstanceBeat

  constructor(store: Store, maxKeys?: number) {
    this.metrics = new Metrics(store, maxKeys)
    this.feed = new Feed(store)
    this.beat = new InstanceBeat(store)
  }

  /** the id sessions' streams record (saved cursors) and the instance list shows */
  get instance(): string {
    return this.beat.id
  }

  /**
   * A stream opening or closing, or their heartbeat, writes this instance's record when due (at
   * most every BEAT_MS): optional work, within a stream's lifetime.
   */
  streams(open: number): void {
    this.beat.streams(open)
    if (this.beat.due()) void this.beat.write()
  }

  messageIn(sid: string, event: string, data: unknown, ackMs?: number, result?: { id: number; ack?: MessageResult }): void {
    this.metrics.count('in')
    if (ackMs !== undefined) this.metrics.latency('client', event, ackMs)
    // One row per message, published once its handler ended: the ack's result rides on it.
    this.feed.publish({ type: 'message:in', sid, event, data, message: result?.id, ack: result?.ack, at: Date.now() })
  }

  messageOut(target: { sid?: string; room?: string }, event: string, data: unknown): void {
    this.feed.publish({ type: 'message:out', ...target, event, data, at: Date.now() })
  }

  delivered(count: number): void {
    this.metrics.count('out', count)
  }

  serverAck(sid: string, event: string, ms: number): void {
    this.metrics.latency('server', event, ms)
    this.feed.publish({ type: 'ack', sid, event, latency: ms, direction: 'server', at: Date.now() })
  }

  lifecycle(type: 'connect' | 'disconnect' | 'join' | 'leave', sid: string, extra: { room?: string; reason?: string } = {}): void {
    this.feed.publish({ type, sid, ...extra, at: Date.now() })
  }

  failure(f: Failure): void {
    const at = Date.now()
    this.metrics.failure(f, at)
    this.feed.publish({ type: 'error', sid: f.sid, event: f.event, kind: f.kind, code: f.code, reason: f.message, route: f.route, at })
  }

  pendingWork(eager: boolean): Promise<unknown> | undefined {
    const metrics = this.metrics.due(eager) ? this.metrics.flush() : undefined
    const feed = this.feed.drain()
    // An instance serving requests but no streams (serverless) is in the list too.
    const beat = this.beat.due() ? this.beat.write() : undefined
    if (!metrics && !feed && !beat) return undefined
    return Promise.allSettled([metrics, feed, beat])
  }

  close(): Promise<void> {
    return this.metrics.close()
  }
}
