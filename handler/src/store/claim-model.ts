/**
 * The reference model of per-message claims: which client messages run, which
 * are answered from a stored reply, which wait, and what the rate limit admits.
 * The memory store runs this function; the Redis store's CLAIM script is the
 * same rule in Lua, and the model-based test checks both against it.
 *
 * A session's client numbers its messages 1, 2, 3... A client that may have
 * several POSTs in flight says which messages it has had answered (`answered`:
 * every id up to it): their records are dropped, and a new message is claimed
 * only right after its predecessor has started (handlers start in emit order
 * however the POSTs arrive); until then it is `early`. A predecessor has started
 * once it was claimed in the same call (one request starts them in order), marked
 * started (its handler's synchronous part ran and the writes it issued there were
 * stored: `startMessages`), finished, given back, or its lease ran out. So the room
 * writes a handler makes before its first await land in emit order, whichever
 * instance runs each message. A client that says nothing has one batch in flight
 * at a time, so a batch starting above the high-water mark means every earlier
 * message was answered.
 */

/**
 * `run`: the request `owner` runs the handler and holds a lease until `until` (store clock, ms);
 * `started`: its synchronous part ran and the writes made there are stored (its successor may start);
 * `done`: finished, with its stored reply; `free`: given back, runs again.
 */
export type ClaimRecord = { s: 'run'; until: number; owner: string; started?: true } | { s: 'done'; ack: string } | { s: 'free' }

export interface ClaimState {
  /** highest message id ever claimed */
  hwm: number
  records: Map<number, ClaimRecord>
  /** rate limit: window number and messages admitted in it */
  window: number
  count: number
}

/**
 * - fresh: never ran; run it now (a lease is taken)
 * - rerun: given back after a store failure; run it now, its earlier emits may be in the logs
 * - done: finished; `ack` is the stored reply ('' for a message sent without ack)
 * - running: another request's handler holds a live lease; wait for it
 * - interrupted: its lease ran out unfinished (the instance died mid-way); it ran at most once
 * - old: answered long ago (the client has moved past it); nothing to say
 * - deferred: not admitted by the rate limit; nothing changed for it
 * - early: its predecessor is not claimed yet (it is in a POST still on its way) or has not started
 *   (another request runs its synchronous part); wait, then claim again
 */
export type MessageStatus = 'fresh' | 'rerun' | 'done' | 'running' | 'interrupted' | 'old' | 'deferred' | 'early'

export interface MessageClaim {
  id: number
  status: MessageStatus
  /** the stored reply, for `done` */
  ack?: string
}

export interface ClaimOutcome {
  claims: MessageClaim[]
  /** with deferred messages: ms until the rate limit's window reopens */
  retryAfterMs?: number
}

export interface RateLimit {
  limit: number
  windowMs: number
}

/** The stored reply of a message whose lease ran out: it is answered INTERRUPTED from then on. */
export const INTERRUPTED_MARK = '!i'

export function newClaimState(): ClaimState {
  return { hwm: 0, records: new Map(), window: -1, count: 0 }
}

/**
 * Claims `ids` (increasing) for the request `owner` at store time `now`; mutates `st`.
 * `answered`: the client has had every message up to this id answered (see above).
 */
export function claimMessages(
  st: ClaimState,
  ids: number[],
  now: number,
  leaseMs: number,
  owner: string,
  rate?: RateLimit,
  answered?: number,
): ClaimOutcome {
  if (answered !== undefined) {
    for (const id of [...st.records.keys()]) if (id <= answered) st.records.delete(id)
    // Answered without ever being claimed (refused before it ran: 413, 400): the next may follow it.
    if (answered > st.hwm) st.hwm = answered
  } else if (ids.length > 0 && ids[0]! > st.hwm) st.records.clear()
  let allowed = Infinity
  if (rate) {
    const window = Math.floor(now / rate.windowMs)
    if (window !== st.window) {
      st.window = window
      st.count = 0
    }
    allowed = Math.max(0, rate.limit - st.count)
  }
  const claims: MessageClaim[] = []
  let deferred = false
  let early = false
  /** the last id claimed by this call: its successor follows it on the same request, in order */
  let claimedHere = -1
  /** the predecessor of a new message has started (see the top of this file) */
  const predecessorStarted = (p: number) => {
    if (p === claimedHere) return true
    const r = st.records.get(p)
    return r?.s !== 'run' || r.started === true || r.until <= now
  }
  for (const id of ids) {
    const r = st.records.get(id)
    let status: MessageStatus
    if (r?.s === 'done') {
      claims.push(r.ack === INTERRUPTED_MARK ? { id, status: 'interrupted' } : { id, status: 'done', ack: r.ack })
      continue
    }
    if (r?.s === 'run') {
      if (r.until > now) {
        claims.push({ id, status: 'running' })
      } else {
        st.records.set(id, { s: 'done', ack: INTERRUPTED_MARK })
        claims.push({ id, status: 'interrupted' })
      }
      continue
    }
    if (r?.s === 'free') status = 'rerun'
    else if (id > st.hwm) status = 'fresh'
    else {
      claims.push({ id, status: 'old' })
      continue
    }
    // Messages run in emit order: once one is deferred, every later one is too (its predecessor
    // arrived or not: it could not run in this window anyway).
    if (deferred || allowed <= 0) {
      deferred = true
      claims.push({ id, status: 'deferred' })
      continue
    }
    // In order: a new message waits until the one before it has started.
    if (status === 'fresh' && answered !== undefined && (early || id !== st.hwm + 1 || !predecessorStarted(id - 1))) {
      early = true
      claims.push({ id, status: 'early' })
      continue
    }
    allowed--
    if (rate) st.count++
    st.records.set(id, { s: 'run', until: now + leaseMs, owner })
    if (id > st.hwm) st.hwm = id
    claimedHere = id
    claims.push({ id, status })
  }
  const out: ClaimOutcome = { claims }
  if (deferred && rate) out.retryAfterMs = (st.window + 1) * rate.windowMs - now
  return out
}

/** Extends the leases `owner` holds on messages still running (a started mark stays). */
export function renewLeases(st: ClaimState, ids: number[], now: number, leaseMs: number, owner: string): void {
  for (const id of ids) {
    const r = st.records.get(id)
    if (r?.s === 'run' && r.owner === owner) st.records.set(id, { ...r, until: now + leaseMs })
  }
}

/**
 * Marks `owner`'s running messages started: their handlers' synchronous parts ran and the
 * writes issued there are stored, so the next message of the session may be claimed.
 */
export function startMessages(st: ClaimState, ids: number[], owner: string): void {
  for (const id of ids) {
    const r = st.records.get(id)
    if (r?.s === 'run' && r.owner === owner) st.records.set(id, { ...r, started: true })
  }
}

/**
 * Records how `owner`'s messages ended: `done` with their reply, or given back
 * (`free`) when their handler failed on the store or never started. Only a
 * message this owner still runs, or one marked interrupted meanwhile, changes:
 * a real reply beats INTERRUPTED; another request's claim is never touched.
 */
export function finishMessages(st: ClaimState, done: { id: number; ack: string }[], released: number[], owner: string): void {
  const ours = (r: ClaimRecord | undefined) => (r?.s === 'run' && r.owner === owner) || (r?.s === 'done' && r.ack === INTERRUPTED_MARK)
  for (const d of done) if (ours(st.records.get(d.id))) st.records.set(d.id, { s: 'done', ack: d.ack })
  for (const id of released) if (ours(st.records.get(id))) st.records.set(id, { s: 'free' })
}
