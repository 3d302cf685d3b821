import { SocketServeError } from '@socket-serve/client/protocol'
import type { Observer } from '../observer.js'
import { StoreUnavailableError } from '../store/errors.js'
import { handlerContext, type HandlerContext } from './context.js'
import { schemasOf, validate, type EventSchemas } from './schemas.js'

/** What dispatch needs of a message: its id, event, payload, whether an ack is wanted, and whether it runs again. */
export interface RunnableMessage {
  id: number
  event: string
  data?: unknown
  ack?: boolean
  /** it was given back after a store failure: its emits check the logs for an earlier copy */
  rerun?: boolean
}

/** How one message's handler ended. */
export type HandlerOutcome =
  | { id: number; ok: true; data: unknown }
  | { id: number; ok: false; error: { code: string; message: string } }
  /** the store failed under the handler (or one of its writes): the message is given back and runs again */
  | { id: number; storeFailed: true; error: unknown }

export type AnyHandler = (socket: never, data: never, ack: (reply: unknown) => void) => unknown

/**
 * How long the session's next message waits for a handler that is still running before it may
 * start anyway (once the writes issued by then are stored): the writes a handler makes in this
 * time, or before its first await, land before its successor's; a slow handler holds back no
 * later message longer than this.
 */
export const START_GRACE_MS = 100

/**
 * Runs client messages' handlers. They start in emit order, one after another,
 * without waiting for each other's promises (as Socket.IO does); a message is
 * done when its handler settled and every store write it started (awaited or
 * not) settled, so nothing a message caused is still running after the reply.
 * A batch has started once its handlers' synchronous parts ran and the writes
 * issued there settled, and then either they finished or START_GRACE_MS passed
 * and every write issued by then settled: from then on the session's next message
 * may run elsewhere without overtaking those writes (see claim-model.ts).
 */
export class Dispatcher {
  constructor(
    private readonly handlers: ReadonlyMap<string, AnyHandler>,
    private readonly observer: Observer,
    private readonly ackTimeout: number,
    private readonly schemas: EventSchemas = {},
  ) {}

  /**
   * `rooms`: the session's rooms, for the observer's per-room failure counts. `onStarted`: called
   * once the batch has started (see above) while a handler still runs; never when all finished first.
   */
  run(socket: unknown, sid: string, messages: RunnableMessage[], rooms: string[] = [], onStarted?: () => void): Promise<HandlerOutcome[]> {
    const t0 = Date.now()
    const starts: Promise<unknown>[] = []
    const contexts: HandlerContext[] = []
    const outcomes = Promise.all(messages.map((m) => this.runOne(socket, sid, m, rooms, starts, contexts)))
    if (onStarted) {
      void Promise.all(starts).then(async () => {
        let timer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, t0 + START_GRACE_MS - Date.now()))))
        const finished = await Promise.race([outcomes.then(() => true, () => true), grace])
        clearTimeout(timer)
        if (finished) return // recorded as done: that says started too
        await Promise.allSettled(contexts.flatMap((c) => c.writes.slice()))
        onStarted()
      })
    }
    return outcomes
  }

  private async runOne(socket: unknown, sid: string, m: RunnableMessage, rooms: string[], starts: Promise<unknown>[], contexts: HandlerContext[]): Promise<HandlerOutcome> {
    const started = performance.now()
    const context: HandlerContext = { message: `${sid}:${m.id}`, rerun: !!m.rerun, emits: 0, writes: [] }
    contexts.push(context)
    // The writes issued by the time the handler's synchronous part returned (or it never ran).
    let syncWrites: Promise<unknown>[] | undefined
    let ran!: () => void
    starts.push(new Promise<void>((resolve) => (ran = resolve)).then(() => Promise.allSettled(syncWrites!)))
    const syncDone = () => {
      if (syncWrites) return
      syncWrites = context.writes.slice()
      ran()
    }
    const result = handlerContext.run(context, () => this.invoke(socket, m.event, m.data, !!m.ack, syncDone))
    // A payload that failed validation (sync or async) ran no handler: it has started.
    result.catch(() => {}).finally(syncDone)
    let outcome: HandlerOutcome
    let timedOut = false
    try {
      outcome = { id: m.id, ok: true, data: await result }
    } catch (err) {
      outcome = err instanceof StoreUnavailableError ? { id: m.id, storeFailed: true, error: err } : { id: m.id, ok: false, error: ackError(m.event, err) }
      if (!('storeFailed' in outcome)) {
        const known = this.handlers.has(m.event)
        timedOut = err instanceof AckNotCalled
        this.observer.failure({
          kind: err instanceof AckNotCalled ? 'handler-timeout' : 'handler',
          code: outcome.error.code,
          message: outcome.error.message,
          sid,
          // A name with no handler is the client's invention: counting it by name would let clients grow the metrics.
          ...(known ? { event: m.event } : {}),
          rooms,
        })
      }
    }
    // Writes started without await still belong to this message.
    for (const settled of await Promise.allSettled(context.writes)) {
      if (settled.status === 'rejected' && settled.reason instanceof StoreUnavailableError) {
        outcome = { id: m.id, storeFailed: true, error: settled.reason }
      }
    }
    // An event without a handler is not a metric: its name is whatever a client sent.
    const timed = m.ack && this.handlers.has(m.event)
    if (!('storeFailed' in outcome)) {
      const ms = performance.now() - started
      const ack = m.ack
        ? outcome.ok
          ? { status: 'ok' as const, ms }
          : { status: timedOut ? ('timeout' as const) : ('error' as const), code: outcome.error.code, message: outcome.error.message, ms }
        : undefined
      this.observer.messageIn(sid, m.event, m.data, timed ? ms : undefined, { id: m.id, ack })
    }
    return outcome
  }

  /** Validates the payload before the handler runs, and its ack after, when the event has schemas. */
  private invoke(socket: unknown, event: string, data: unknown, wantsAck: boolean, syncDone: () => void): Promise<unknown> {
    const schema = Object.prototype.hasOwnProperty.call(this.schemas, event) ? schemasOf(this.schemas[event]) : {}
    let input: unknown
    try {
      input = schema.data ? validate(schema.data, data, `"${event}" payload`) : data
    } catch (err) {
      return Promise.reject(err)
    }
    const run = (value: unknown) => {
      try {
        return this.call(socket, event, value, wantsAck)
      } finally {
        syncDone()
      }
    }
    const replied = input instanceof Promise ? input.then(run) : run(input)
    const ack = schema.ack
    return ack && wantsAck ? replied.then((reply) => validate(ack, reply, `"${event}" ack`)) : replied
  }

  private call(socket: unknown, event: string, data: unknown, wantsAck: boolean): Promise<unknown> {
    const fn = this.handlers.get(event)
    if (!fn) {
      return wantsAck ? Promise.reject(new SocketServeError('UNKNOWN_EVENT', `no handler for "${event}"`)) : Promise.resolve()
    }
    if (fn.length < 3) {
      try {
        return Promise.resolve(fn(socket as never, data as never, () => {}))
      } catch (err) {
        return Promise.reject(err)
      }
    }
    // Callback style: the ack is whatever the handler passes to ack().
    return new Promise((resolve, reject) => {
      const timer = wantsAck
        ? setTimeout(() => reject(new AckNotCalled(this.ackTimeout)), this.ackTimeout)
        : undefined
      const ack = (reply: unknown) => {
        clearTimeout(timer)
        resolve(reply)
      }
      try {
        Promise.resolve(fn(socket as never, data as never, ack)).then(
          (value) => {
            if (value !== undefined) ack(value)
            else if (!wantsAck) resolve(undefined)
          },
          (err) => {
            clearTimeout(timer)
            reject(err)
          },
        )
      } catch (err) {
        clearTimeout(timer)
        reject(err)
      }
    })
  }
}

/** A callback-style handler did not call ack within ackTimeout (the client sees HANDLER_ERROR). */
class AckNotCalled extends SocketServeError {
  constructor(ms: number) {
    super('HANDLER_ERROR', `handler did not call ack within ${ms} ms`)
  }
}

function ackError(event: string, err: unknown): { code: string; message: string } {
  if (err instanceof SocketServeError) return { code: err.code, message: err.message }
  console.error(`[socket-serve] handler for "${event}" failed:`, err)
  // Internal details stay on the server.
  return { code: 'HANDLER_ERROR', message: 'the handler failed' }
}
