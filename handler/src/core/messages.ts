import { SocketServeError } from '@socket-serve/client/protocol'
import type { MessageClaim } from '../store/claim-model.js'
import { StoreUnavailableError } from '../store/errors.js'
import type { ClaimLimits, FinishedMessage, SessionRecord, Sessions } from '../store/types.js'
import type { HandlerOutcome, RunnableMessage } from './dispatch.js'
import { newOwnerId } from '../ids.js'

/** A client message as POST {base}/message carries it. */
export interface IncomingMessage {
  id: number
  event: string
  data?: unknown
  ack?: boolean
}

export interface MessageFlowDeps {
  sessions: Pick<Sessions, 'getSession' | 'claimMessages' | 'renewLeases' | 'startMessages' | 'finishMessages'>
  /** claim limits without the owner (each request is its own owner) */
  limits: Omit<ClaimLimits, 'owner'>
  /** checks the token against the record (throws 404/401), revives an ended session */
  admit(record: SessionRecord | null, token: string): Promise<SessionRecord>
  /** runs the handlers of claimed messages (see Dispatcher); `onStarted` once each has started */
  run(record: SessionRecord, messages: RunnableMessage[], onStarted?: () => void): Promise<HandlerOutcome[]>
  /** refreshes the session's liveness (a request from its client), when it is due */
  touch(record: SessionRecord): Promise<unknown> | undefined
}

/** How long a retry waits for a message another request is still running before answering 503. */
const WAIT_FOR_RUNNING_MS = 5000
/** The first wait before claiming an `early` message again, and the longest (it doubles in between). */
const EARLY_WAIT_MS = 10
const EARLY_WAIT_MAX_MS = 80
/** How long a request keeps trying to record the outcomes of handlers that ran while the store is failing. */
const RECORD_BUDGET_MS = 30_000

/**
 * POST {base}/message, serverless-safe: everything a guarantee depends on is
 * finished before the reply is returned. Each message is claimed on its own
 * (claim-model.ts): new ones run, finished ones are answered from their stored
 * reply, ones another request still runs are waited for. Handlers run under a
 * lease renewed while they run; their replies are recorded before the answer,
 * so a retry of a lost answer gets the real acks. Returns the reply body.
 */
export async function receiveMessages(
  deps: MessageFlowDeps,
  sid: string,
  token: string,
  messages: IncomingMessage[],
  /** the client has had every message up to this id answered (it may have several POSTs in flight) */
  answered?: number,
): Promise<string> {
  const owner = newOwnerId()
  const limits: ClaimLimits = { ...deps.limits, owner }
  const ids = messages.map((m) => m.id)
  let claim: Awaited<ReturnType<Sessions['claimMessages']>>
  try {
    claim = await deps.sessions.claimMessages(sid, token, ids, limits, answered)
  } catch (err) {
    // The claim may have landed with its reply lost: give back whatever this request claimed, or a
    // retry would wait for a lease nobody renews. When it surely never ran, answer 503 at once.
    if (err instanceof StoreUnavailableError && err.uncertain) await record(deps, sid, [], ids, owner, RECORD_BUDGET_MS)
    throw err
  }
  // The claim checked the token and (built-in stores) brought the record along. A refused claim
  // reads the record only to say why: no session (404) or a wrong token (401).
  const found = claim.authorized && claim.record ? claim.record : await deps.sessions.getSession(sid)
  const rec = await deps.admit(found, token)
  if (!claim.authorized) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
  // Liveness, once the token is known right; it travels beside the handlers' writes.
  const touched = deps.touch(rec)
  const retryAfter = Math.max(1, Math.ceil((claim.retryAfterMs ?? 1000) / 1000))
  if (claim.claims.every((c) => c.status === 'deferred')) {
    // Nothing admitted: the whole batch waits for the next window, and nothing changed.
    throw new SocketServeError('RATE_LIMITED', 'the session sent more messages than its rate limit allows', { retryAfter })
  }

  const byId = new Map(messages.map((m) => [m.id, m]))
  const settled = new Map<number, MessageClaim>()
  const outcomes: HandlerOutcome[] = []
  const runs: Promise<void>[] = []
  const until = Date.now() + WAIT_FOR_RUNNING_MS
  let pending = claim.claims
  let earlyWait = EARLY_WAIT_MS / 2
  for (;;) {
    const runnable: RunnableMessage[] = []
    const waiting: MessageClaim[] = []
    for (const c of pending) {
      if (c.status === 'fresh' || c.status === 'rerun') runnable.push({ ...byId.get(c.id)!, rerun: c.status === 'rerun' })
      else if (c.status === 'running' || c.status === 'early') waiting.push(c)
      else settled.set(c.id, c)
    }
    // Claimed in emit order, started in emit order.
    if (runnable.length) runs.push(runHandlers(deps, rec, runnable, owner, answered !== undefined).then((o) => void outcomes.push(...o)))
    if (waiting.length === 0 || Date.now() > until) {
      for (const c of waiting) settled.set(c.id, c)
      break
    }
    // An early message's predecessor is in a POST still on its way: it comes soon, but on a
    // platform with cold starts it may take seconds, so the wait doubles (each retry is a claim
    // call, billed per command on Upstash). A running one takes longer.
    earlyWait = Math.min(earlyWait * 2, EARLY_WAIT_MAX_MS)
    await new Promise((r) => setTimeout(r, waiting.some((c) => c.status === 'early') ? earlyWait : 100))
    const again = await deps.sessions.claimMessages(sid, token, waiting.map((c) => c.id), limits, answered)
    if (!again.authorized) throw new SocketServeError('SESSION_NOT_FOUND', 'unknown or expired session')
    pending = again.claims
  }
  await Promise.all([...runs, touched?.catch(() => {})])
  const storeFailure = outcomes.find((o): o is Extract<HandlerOutcome, { storeFailed: true }> => 'storeFailed' in o)
  if (storeFailure) throw storeFailure.error
  if ([...settled.values()].some((c) => c.status === 'running' || c.status === 'early')) {
    throw new SocketServeError('STORE_UNAVAILABLE', 'an earlier message of this session is still on its way or running; retry', { retryAfter: 1 })
  }

  const ran = new Map(outcomes.map((o) => [o.id, o as Exclude<HandlerOutcome, { storeFailed: true }>]))
  const acks: string[] = []
  let deferredFrom: number | undefined
  for (const m of messages) {
    const c = settled.get(m.id)
    if (c?.status === 'deferred') deferredFrom ??= m.id
    if (!m.ack) continue
    const outcome = ran.get(m.id)
    if (outcome) acks.push(ackJson(outcome))
    else if (c?.status === 'done') acks.push(c.ack || ackJson({ id: m.id, ok: true, data: undefined }))
    else if (c?.status === 'interrupted') acks.push(interruptedAck(m.id))
    // old (answered long ago) and deferred messages get no ack in this reply
  }
  const deferred = deferredFrom === undefined ? '' : `,"deferred":{"from":${deferredFrom},"retryAfter":${retryAfter}}`
  return `{"acks":[${acks.join(',')}]${deferred}}`
}

/**
 * Runs the claimed messages under a lease renewed while they run, then records how each ended.
 * `pipelined`: the client may have the next messages in flight already; they are claimed once
 * these have started, so a batch still running once it has started (see Dispatcher) is marked
 * started (one store call; a batch that finishes first is marked done instead).
 */
async function runHandlers(deps: MessageFlowDeps, rec: SessionRecord, runnable: RunnableMessage[], owner: string, pipelined: boolean): Promise<HandlerOutcome[]> {
  if (runnable.length === 0) return []
  const ids = runnable.map((m) => m.id)
  // The timer lives only while this request is in flight.
  const renew = setInterval(() => {
    deps.sessions.renewLeases(rec.sid, ids, deps.limits.leaseMs, owner).catch(() => {})
  }, deps.limits.leaseMs / 3)
  let finished = false
  let marking: Promise<void> | undefined
  const onStarted = () => {
    if (!finished) marking = deps.sessions.startMessages(rec.sid, ids, owner).catch(() => {})
  }
  let outcomes: HandlerOutcome[]
  try {
    outcomes = await deps.run(rec, runnable, pipelined ? onStarted : undefined)
  } finally {
    finished = true
    clearInterval(renew)
  }
  // Nothing outlives the request: a start mark on its way lands before the answer.
  await marking
  const done: FinishedMessage[] = []
  const released: number[] = []
  for (const o of outcomes) {
    if ('storeFailed' in o) released.push(o.id)
    else done.push({ id: o.id, ack: runnable.find((m) => m.id === o.id)!.ack ? ackJson(o) : '' })
  }
  await record(deps, rec.sid, done, released, owner, RECORD_BUDGET_MS)
  return outcomes
}

/**
 * Records outcomes before the answer. While the store fails, it keeps trying for a
 * bounded time within the request; if it never gets through, the leases run out and
 * a retry is answered INTERRUPTED (at most once), never run twice.
 */
async function record(deps: MessageFlowDeps, sid: string, done: FinishedMessage[], released: number[], owner: string, budgetMs: number): Promise<void> {
  const until = Date.now() + budgetMs
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      await deps.sessions.finishMessages(sid, done, released, owner)
      return
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || Date.now() + delay > until) {
        console.error('[socket-serve] could not record message outcomes:', err)
        return
      }
    }
    await new Promise((r) => setTimeout(r, delay))
  }
}

/** One message's ack as stored and sent: `{"id":1,"data":...}` or `{"id":1,"error":{...}}`. */
function ackJson(o: Exclude<HandlerOutcome, { storeFailed: true }>): string {
  if (!o.ok) return JSON.stringify({ id: o.id, error: o.error })
  try {
    return o.data === undefined ? `{"id":${o.id}}` : JSON.stringify({ id: o.id, data: o.data })
  } catch {
    // A reply JSON cannot carry (too deep, circular) becomes an error ack, so the batch still finishes.
    return JSON.stringify({ id: o.id, error: { code: 'HANDLER_ERROR', message: 'the reply cannot be sent as JSON' } })
  }
}

function interruptedAck(id: number): string {
  return JSON.stringify({ id, error: { code: 'INTERRUPTED', message: 'the server running this message stopped mid-way; it ran at most once' } })
}
