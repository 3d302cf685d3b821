/**
 * Key and channel names shared by the Redis stores (ioredis over TCP, Upstash over REST),
 * so both can share one database. Every multi-key script stays inside one hash tag:
 *   <p>:{<sid>}:s        session hash: token, user, transport, createdAt, lastSeen, hwm and
 *                        rlw/rlc (claims, rate limit), s:<key> (state), r:<room> (rooms: where
 *                        the session joined, `<seq>.<epoch>`, or `<seq>` when the log did not exist),
 *                        (r:<room> 'p': a join under way), nr (rooms, for roomsPerSession),
 *                        ended/dc (ended for idleness and kept for recovery; onDisconnect ran),
 *                        ending (an ending began: joins are refused), client (address and
 *                        user agent, JSON, with an inspector), cursor (the last stream's, ditto)
 *   <p>:{<sid>}:k        message claims: id -> 'r<lease end>' | 'd<reply>' | 'f' (claim-model.ts)
 *   <p>:{<sid>}:n / :l   the session's direct log: numbering (hash: n = head seq, e = epoch; after
 *                        a renewal re/rh = the epoch and head it continues) and stream (ids <seq>-1)
 *   <p>:{r:<room>}:n / :l / :m   a room's log, and its members (set)
 *   <p>:{live}           sorted set sid -> last seen (sweep index)
 *   <p>:{live}:ending    sorted set sid -> lease end of an ending in progress
 *   <p>:{live}:a:<addr>  connects from one client address in the current minute (limits.connectsPerMinute)
 *   <p>:m:<bucket>, <p>:flag:<name>   metrics and flags
 *   <p>:feed             the inspector's feed history (a capped stream: feed-commands.ts)
 * Channels: <p>:n:<log key> carries `<seq>.<epoch>|<exclude>|<data>` for each append;
 *           <p>:sig:<name> carries signals (cross-instance acks).
 */
import type { MessageClaim, MessageStatus } from './claim-model.js'
import { newEpoch } from './epochs.js'
import type { Appended, ClaimResult, LogEntry, LogPosition, LogRead, ReadResult, SessionRecord, StoreLimits } from './types.js'
/**
 * `keyPrefix` keeps apps that share one Redis apart: every key and channel starts `<p>:`. It may
 * not contain `:` (so no app's keys start with another's prefix: `a` and `a:b` would overlap),
 * braces (a hash tag in the prefix would put every key in one slot) or glob characters (the
 * Upstash store subscribes to the pattern `<p>:*`).
 */
export function checkKeyPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) {
    throw new TypeError(`keyPrefix ${JSON.stringify(prefix)}: use 1 to 64 letters, digits, '_', '.' or '-' (no ':', braces or glob characters)`)
  }
  return prefix
}

export const DEFAULT_KEY_PREFIX = 'ss'

export class RedisKeys {
  readonly prefix: string
  constructor(prefix: string = DEFAULT_KEY_PREFIX) {
    this.prefix = checkKeyPrefix(prefix)
  }

  key(name: string): string {
    return `${this.prefix}:${name}`
  }

  session(sid: string): string {
    return `${this.prefix}:{${sid}}:s`
  }

  claims(sid: string): string {
    return `${this.prefix}:{${sid}}:k`
  }

  feed(): string {
    return `${this.prefix}:feed`
  }

  live(): string {
    return `${this.prefix}:{live}`
  }

  ending(): string {
    return `${this.prefix}:{live}:ending`
  }

  /** Shares the live index's hash tag, so one script counts both. */
  connects(address: string): string {
    return `${this.prefix}:{live}:a:${address}`
  }

  /** `d:<sid>` shares the session's hash tag; `r:<room>` has its own. */
  logKey(key: string, part: 'n' | 'l'): string {
    const tag = key.startsWith('d:') ? key.slice(2) : key
    return `${this.prefix}:{${tag}}:${part}`
  }

  roomMembers(room: string): string {
    return `${this.prefix}:{r:${room}}:m`
  }

  /** the channel an append to `key` is published on */
  channel(key: string): string {
    return `${this.prefix}:n:${key}`
  }

  signal(name: string): string {
    return `${this.prefix}:sig:${name}`
  }
}

/**
 * How long a room's member set outlives its last join (or member read): at least a day, and twice
 * the session TTL. Endings take members out; this bounds what a session that vanished without an
 * ending (its record expired) leaves behind.
 */
export const MEMBER_TTL_FLOOR = 24 * 3600
export function memberTtl(limits?: StoreLimits): number {
  return Math.max(MEMBER_TTL_FLOOR, 2 * (limits?.ttl ?? 0))
}

/** Parses an append notification, `<seq>.<epoch>|<exclude>|<data>`. */
export function parseNotification(message: string): LogEntry {
  const a = message.indexOf('|')
  const b = message.indexOf('|', a + 1)
  const dot = message.indexOf('.')
  const numbered = dot !== -1 && dot < a
  const entry: LogEntry = { seq: Number(message.slice(0, numbered ? dot : a)), data: message.slice(b + 1), epoch: numbered ? message.slice(dot + 1, a) : '' }
  if (b > a + 1) entry.exclude = message.slice(a + 1, b)
  return entry
}

/** The status codes the CLAIM script returns (redis-scripts.ts). */
export const CLAIM_STATUS = { 1: 'fresh', 2: 'rerun', 3: 'done', 4: 'running', 5: 'interrupted', 6: 'old', 7: 'deferred', 8: 'early' } as const

/** A session record as the fields of its hash (both Redis stores write it so). */
export function sessionFields(r: SessionRecord): Record<string, string> {
  const fields: Record<string, string> = {
    token: r.token,
    user: JSON.stringify(r.user ?? null),
    transport: r.transport,
    createdAt: String(r.createdAt),
    lastSeen: String(r.lastSeen),
  }
  if (r.client) fields.client = JSON.stringify(r.client)
  for (const [k, v] of Object.entries(r.state)) fields[`s:${k}`] = JSON.stringify(v)
  for (const [room, seq] of Object.entries(r.rooms)) fields[`r:${room}`] = joinField({ seq, epoch: r.roomEpochs?.[room] ?? '' })
  // rooms counted against limits.roomsPerSession (the broadcast room is not one)
  fields.nr = String(Object.keys(r.rooms).filter((room) => room !== '*').length)
  return fields
}

/** The session record of a hash read back (HGETALL); null when it has no token (gone). */
export function recordFromHash(sid: string, h: Record<string, string>): SessionRecord | null {
  if (!h.token) return null
  const state: Record<string, unknown> = {}
  const rooms: Record<string, number> = {}
  let roomEpochs: Record<string, string> | undefined
  for (const [f, v] of Object.entries(h)) {
    if (f.startsWith('s:')) state[f.slice(2)] = JSON.parse(v)
    else if (f.startsWith('r:') && v !== 'p') {
      const dot = v.indexOf('.')
      rooms[f.slice(2)] = Number(dot === -1 ? v : v.slice(0, dot))
      if (dot !== -1) (roomEpochs ??= {})[f.slice(2)] = v.slice(dot + 1)
    }
  }
  return {
    sid,
    token: h.token,
    user: h.user ? JSON.parse(h.user) : undefined,
    state,
    rooms,
    ...(roomEpochs ? { roomEpochs } : {}),
    transport: h.transport ?? '',
    createdAt: Number(h.createdAt),
    lastSeen: Number(h.lastSeen),
    ...(h.cursor ? { cursor: h.cursor } : {}),
    ...(h.client ? { client: JSON.parse(h.client) as SessionRecord['client'] } : {}),
    ...(h.ended !== undefined ? { ended: h.ended } : {}),
    ...(h.dc ? { disconnected: true } : {}),
  }
}

/** A join position as the session hash keeps it (field `r:<room>`): `<seq>.<epoch>`, or `<seq>` without an epoch. */
export function joinField(at: LogPosition): string {
  return at.epoch ? `${at.seq}.${at.epoch}` : String(at.seq)
}

/** A READ_MANY log's arguments: after, count, the epoch `after` is in, a new epoch should the log be renewed. */
export function readArgs(r: LogRead): (string | number)[] {
  const epoch = r.epoch ?? ''
  return [r.after, r.limit, epoch, epoch && newEpoch()]
}

/** The MEMBERSHIP script's reply, `{head, epoch}`. */
export function positionResult(reply: unknown): LogPosition {
  const [seq, epoch] = reply as [number, string]
  return { seq: Number(seq), epoch: epoch ?? '' }
}

/** The CLAIM script's reply, `{0}` or `{1, retryAfterMs, status, ack, ..., session hash}`, as a ClaimResult with the record. */
export function claimResult(sid: string, ids: number[], res: unknown[]): ClaimResult {
  if (Number(res[0]) === 0) return { authorized: false }
  const claims: MessageClaim[] = []
  for (let i = 0; i < ids.length; i++) {
    const status: MessageStatus = CLAIM_STATUS[Number(res[2 + 2 * i]) as keyof typeof CLAIM_STATUS] ?? 'old'
    claims.push(status === 'done' ? { id: ids[i]!, status, ack: String(res[3 + 2 * i]) } : { id: ids[i]!, status })
  }
  const retryAfterMs = Number(res[1])
  const record = recordFromHash(sid, pairsToHash(res[2 + 2 * ids.length])) ?? undefined
  return { authorized: true, claims, ...(retryAfterMs > 0 ? { retryAfterMs } : {}), ...(record ? { record } : {}) }
}

/** A flat [field, value, ...] reply (HGETALL inside a script) as an object. */
export function pairsToHash(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!Array.isArray(reply)) return out
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1])
  return out
}

/** The APPEND script's reply, `{ seq, epoch }`. */
export function appended(reply: unknown): Appended {
  const [seq, epoch] = reply as [number | string, string]
  return { seq: Number(seq), epoch: String(epoch) }
}

/**
 * The READ script's reply, `{head, first, entries, epoch[, renewed epoch, renewed head]}` (stream
 * entries with fields d, x, o), as a ReadResult.
 */
export function readResult(reply: unknown): ReadResult {
  const [head, first, raw, epoch, renewedEpoch, renewedHead] = reply as [number, number, [string, string[]][], string | undefined, string | undefined, number | undefined]
  const entries: LogEntry[] = (raw ?? []).map(([id, fields]) => {
    const entry: LogEntry = { seq: parseInt(id, 10), data: '' }
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] === 'd') entry.data = fields[i + 1]!
      else if (fields[i] === 'x') entry.exclude = fields[i + 1]!
      else if (fields[i] === 'o') entry.origin = fields[i + 1]!
    }
    return entry
  })
  const res: ReadResult = { entries, first: Number(first), head: Number(head), epoch: epoch ?? '' }
  if (renewedEpoch) res.renewed = { seq: Number(renewedHead), epoch: renewedEpoch }
  return res
}
