import { newEpoch } from './epochs.js'
import { StoreUnavailableError } from './errors.js'
import { feedAppend, feedEntries } from './feed-commands.js'
import { parseInfoMemory, RecentErrors } from './recent-errors.js'
import { appended, claimResult, pairsToHash, joinField, MEMBER_TTL_FLOOR, memberTtl, parseNotification, positionResult, readArgs, readResult, recordFromHash, RedisKeys, sessionFields } from './redis-keys.js'
import { ADMIT, APPEND, BEGIN_END, CLAIM, FINISH, FINISH_END, IDLE, JOIN, JOINED, KEEP_ALIVE, LEAVE, MARK, MEMBERSHIP, READ, READ_MANY, RENEW, REVIVE, SET_IF_LIVE, START, TOUCH, UNEND } from './redis-scripts.js'
import { exactPattern, PatternBus } from './upstash-bus.js'
import { requestsIsolated } from '../isolation.js'
import { CommandError, TransportError, UpstashRest, type Arg, type Reply } from './upstash-rest.js'
import type { Admission, Appended, AppendOrigin, LogPosition, ConnectBounds, ClaimLimits, ClaimResult, FeedBounds, FeedEntry, FinishedMessage, KeepAliveResult, LogEntry, LogRead, ReadResult, SessionRecord, Store, StoreHealth, StoreLimits, Subscription } from './types.js'

/**
 * The Upstash store: the Redis store's semantics (same keys, same Lua scripts) over the Upstash
 * REST API, on fetch alone, so it runs on Cloudflare Workers and Vercel Edge. The commands of one
 * operation go in one HTTP request (a pipeline) wherever the ioredis store sends them together;
 * streams wait on one SSE subscription per instance (upstash-bus.ts), never on polling. Where a
 * request's I/O cannot serve another request (Workers), each listener has a subscription of its own.
 */

export interface UpstashStoreOptions {
  /** the REST URL (UPSTASH_REDIS_REST_URL) */
  url: string
  /** the REST token (UPSTASH_REDIS_REST_TOKEN) */
  token: string
  /** starts every key and channel (default 'ss'), as redisStore's: one per app sharing a database */
  keyPrefix?: string
  /** @deprecated the former name of keyPrefix */
  prefix?: string
  /** seconds a room's sequence counter outlives its last append (default 30 days) */
  seqTtl?: number
  /** ms before a request counts as failed and the handler answers 503 (default 10 000) */
  timeoutMs?: number
  /**
   * One SSE subscription per listener (each stream, each signal listener) instead of one shared by
   * the instance. Default: on where the runtime forbids sharing I/O between requests (Cloudflare
   * Workers), off elsewhere.
   */
  subscriptionPerListener?: boolean
}

/** A Lua script of redis-scripts.ts, run by EVALSHA (its SHA-1 computed on first use). */
interface Script {
  lua: string
  keys: number
  sha?: Promise<string>
}

const script = (lua: string, keys: number): Script => ({ lua, keys })
const SCRIPTS = {
  append: script(APPEND, 2),
  read: script(READ, 2),
  readMany: script(READ_MANY, 0),
  keepAlive: script(KEEP_ALIVE, 2),
  claim: script(CLAIM, 2),
  renew: script(RENEW, 1),
  start: script(START, 1),
  finish: script(FINISH, 1),
  beginEnd: script(BEGIN_END, 2),
  idle: script(IDLE, 2),
  revive: script(REVIVE, 2),
  finishEnd: script(FINISH_END, 4),
  unend: script(UNEND, 2),
  mark: script(MARK, 1),
  setIfLive: script(SET_IF_LIVE, 1),
  touch: script(TOUCH, 3),
  membership: script(MEMBERSHIP, 2),
  join: script(JOIN, 1),
  joined: script(JOINED, 1),
  leave: script(LEAVE, 1),
  admit: script(ADMIT, 2),
}

/** A plain command, or a script with its keys and arguments. */
type Command = Arg[] | { script: Script; args: Arg[] }

/** Sessions per KEEP_ALIVE call. */
const KEEP_ALIVE_CHUNK = 1000

export class UpstashStore implements Store {
  readonly ownedByServer?: boolean
  private readonly rest: UpstashRest
  private readonly keys: RedisKeys
  private readonly seqTtl: number
  private readonly bus: PatternBus
  /** subscriptionPerListener: the open ones, closed with the store */
  private readonly own?: Set<PatternBus>
  private readonly timeoutMs?: number
  private closed = false
  /** failed calls on this instance, for health() */
  private readonly failures = new RecentErrors()

  constructor(options: UpstashStoreOptions & { owned?: boolean }) {
    if (!options?.url || !options.token) throw new TypeError('upstashStore: url and token are required')
    this.rest = new UpstashRest(options)
    this.keys = new RedisKeys(options.keyPrefix ?? options.prefix)
    this.seqTtl = options.seqTtl ?? 30 * 24 * 3600
    // Both channel families (<p>:n:*, <p>:sig:*) under one pattern: one stream per instance.
    this.bus = new PatternBus(this.rest, `${this.keys.prefix}:*`, options.timeoutMs)
    this.timeoutMs = options.timeoutMs
    if (options.subscriptionPerListener ?? requestsIsolated()) this.own = new Set()
    if (options.owned) this.ownedByServer = true
  }

  async createSession(r: SessionRecord, limits: StoreLimits): Promise<void> {
    const key = this.keys.session(r.sid)
    await this.exec([['HSET', key, ...Object.entries(sessionFields(r)).flat()], ['EXPIRE', key, limits.ttl], ['ZADD', this.keys.live(), r.lastSeen, r.sid]])
  }

  async getSession(sid: string): Promise<SessionRecord | null> {
    return recordFromHash(sid, pairsToHash(await this.one(['HGETALL', this.keys.session(sid)])))
  }

  async setState(sid: string, patch: Record<string, unknown>, limits: StoreLimits): Promise<boolean> {
    const args: Arg[] = []
    const removed: string[] = []
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) removed.push(`s:${k}`)
      else args.push(`s:${k}`, JSON.stringify(v))
    }
    const key = this.keys.session(sid)
    const last: Command = args.length === 0 ? ['EXISTS', key] : this.call(SCRIPTS.setIfLive, [key], [limits.ttl, ...args])
    // The delete and the conditional set run in order, in one request.
    const replies = await this.exec(removed.length ? [['HDEL', key, ...removed], last] : [last])
    return replies[replies.length - 1] === 1
  }

  async touch(sids: string[], now: number, limits: StoreLimits, transport?: string): Promise<string[]> {
    if (sids.length === 0) return []
    const replies = await this.exec(
      sids.flatMap((sid): Command[] => [
        this.call(SCRIPTS.touch, [this.keys.session(sid), this.keys.logKey(`d:${sid}`, 'n'), this.keys.logKey(`d:${sid}`, 'l')], [now, limits.ttl, transport ?? '']),
        ['ZADD', this.keys.live(), 'XX', now, sid],
      ]),
    )
    return sids.filter((_, i) => replies[2 * i] === 2)
  }

  async keepAlive(sids: string[], now: number, idleCutoff: number): Promise<KeepAliveResult> {
    const out: KeepAliveResult = { missing: [], sweepDue: false }
    // Chunks keep each script's argument list well inside Lua's stack.
    for (let i = 0; i < sids.length; i += KEEP_ALIVE_CHUNK) {
      const chunk = sids.slice(i, i + KEEP_ALIVE_CHUNK)
      const [due, ...missing] = (await this.one(this.call(SCRIPTS.keepAlive, [this.keys.live(), this.keys.ending()], [now, idleCutoff, ...chunk]))) as (string | number)[]
      if (Number(due) === 1) out.sweepDue = true
      out.missing.push(...(missing as string[]))
    }
    return out
  }

  async seenAt(sids: string[]): Promise<(number | null)[]> {
    if (sids.length === 0) return []
    const scores = (await this.one(['ZMSCORE', this.keys.live(), ...sids])) as (string | null)[]
    return scores.map((s) => (s === null ? null : Number(s)))
  }

  async idleSessions(cutoff: number, limit: number): Promise<string[]> {
    return (await this.one(this.call(SCRIPTS.idle, [this.keys.live(), this.keys.ending()], [cutoff, limit]))) as string[]
  }

  async sessionIds(limit: number, offset = 0): Promise<string[]> {
    return (await this.one(['ZRANGE', this.keys.live(), offset, offset + limit - 1])) as string[]
  }

  async liveCount(): Promise<number> {
    return Number(await this.one(['ZCARD', this.keys.live()]))
  }

  async beginEnd(sid: string, leaseMs: number, idleBefore?: number): Promise<boolean> {
    if ((await this.one(this.call(SCRIPTS.beginEnd, [this.keys.live(), this.keys.ending()], [sid, leaseMs, idleBefore ?? '']))) !== 1) return false
    // The record (another hash slot) says so too: from now on its joins are refused.
    await this.one(this.call(SCRIPTS.mark, [this.keys.session(sid)], ['ending', '1']))
    return true
  }

  async markDisconnected(sid: string): Promise<void> {
    await this.one(this.call(SCRIPTS.mark, [this.keys.session(sid)], ['dc', '1']))
  }

  async finishEnd(sid: string, reason: string, recoverMs: number): Promise<void> {
    const k = this.keys
    await this.one(this.call(SCRIPTS.finishEnd, [k.session(sid), k.logKey(`d:${sid}`, 'n'), k.logKey(`d:${sid}`, 'l'), k.claims(sid)], [reason, Math.max(0, Math.round(recoverMs))]))
    // Only once the ending is recorded does the session leave the indexes (a failure above retries it).
    await this.exec([['ZREM', k.ending(), sid], ['ZREM', k.live(), sid]])
  }

  async revive(sid: string, now: number, limits: StoreLimits): Promise<boolean> {
    if ((await this.one(this.call(SCRIPTS.revive, [this.keys.live(), this.keys.ending()], [sid, now]))) !== 1) return false
    await this.one(this.call(SCRIPTS.unend, [this.keys.session(sid), this.keys.claims(sid)], [limits.ttl]))
    return true
  }

  async deleteSession(sid: string): Promise<void> {
    const k = this.keys
    await this.exec([
      ['DEL', k.session(sid), k.logKey(`d:${sid}`, 'n'), k.logKey(`d:${sid}`, 'l'), k.claims(sid)],
      ['ZREM', k.live(), sid],
      ['ZREM', k.ending(), sid],
    ])
  }

  async claimMessages(sid: string, token: string, ids: number[], limits: ClaimLimits, answered?: number): Promise<ClaimResult> {
    // As in the Redis store: liveness is refreshed by the caller once the token is known right.
    const [res] = (await this.exec([
      this.call(SCRIPTS.claim, [this.keys.session(sid), this.keys.claims(sid)], [token, limits.leaseMs, limits.ttl, limits.rate?.limit ?? 0, limits.rate?.windowMs ?? 1000, limits.owner, answered ?? -1, ...ids]),
    ])) as [unknown[]]
    return claimResult(sid, ids, res)
  }

  async renewLeases(sid: string, ids: number[], leaseMs: number, owner: string): Promise<void> {
    if (ids.length === 0) return
    await this.one(this.call(SCRIPTS.renew, [this.keys.claims(sid)], [leaseMs, owner, ...ids]))
  }

  async startMessages(sid: string, ids: number[], owner: string): Promise<void> {
    if (ids.length === 0) return
    await this.one(this.call(SCRIPTS.start, [this.keys.claims(sid)], [owner, ...ids]))
  }

  async finishMessages(sid: string, done: FinishedMessage[], released: number[], owner: string): Promise<void> {
    if (done.length === 0 && released.length === 0) return
    const args: Arg[] = [owner, done.length]
    for (const d of done) args.push(d.id, d.ack)
    args.push(...released)
    await this.one(this.call(SCRIPTS.finish, [this.keys.claims(sid)], args))
  }

  async joinRoom(sid: string, room: string, limits: StoreLimits, maxRooms = 0): Promise<LogPosition | null | 'full'> {
    // As in the Redis store: reserve in the record, join the set, then record the head.
    const session = this.keys.session(sid)
    const members = this.keys.roomMembers(room)
    const reserved = Number(await this.one(this.call(SCRIPTS.join, [session], [`r:${room}`, maxRooms, limits.ttl])))
    if (reserved === -2) return 'full'
    if (reserved !== 1) return null
    const at = positionResult(await this.one(this.call(SCRIPTS.membership, [members, this.keys.logKey(`r:${room}`, 'n')], [sid, 1, memberTtl(limits)])))
    if ((await this.one(this.call(SCRIPTS.joined, [session], [`r:${room}`, joinField(at)]))) === 1) return at
    // The session began ending meanwhile: a join after the end is refused and undone.
    await this.exec([['SREM', members, sid], this.call(SCRIPTS.leave, [session], [`r:${room}`])])
    return null
  }

  async admitConnect(address: string | undefined, bounds: ConnectBounds): Promise<Admission> {
    const per = address ? bounds.perAddress : 0
    const res = Number(await this.one(this.call(SCRIPTS.admit, [this.keys.live(), this.keys.connects(address ?? '')], [bounds.sessions, per, bounds.windowMs])))
    if (res === 0) return { admitted: true }
    return res === -1 ? { admitted: false, reason: 'sessions', retryAfterMs: 5000 } : { admitted: false, reason: 'address', retryAfterMs: res }
  }

  async dropMemberships(sid: string, rooms: string[]): Promise<void> {
    if (rooms.length) await this.exec(rooms.map((room) => ['SREM', this.keys.roomMembers(room), sid]))
  }

  async restoreMemberships(sid: string, rooms: string[], limits?: StoreLimits): Promise<void> {
    const ttl = memberTtl(limits)
    if (rooms.length) await this.exec(rooms.map((room) => this.call(SCRIPTS.membership, [this.keys.roomMembers(room), this.keys.logKey(`r:${room}`, 'n')], [sid, 1, ttl])))
  }

  async leaveRoom(sid: string, room: string): Promise<number> {
    const at = positionResult(await this.one(this.call(SCRIPTS.membership, [this.keys.roomMembers(room), this.keys.logKey(`r:${room}`, 'n')], [sid, 0, 0])))
    await this.one(this.call(SCRIPTS.leave, [this.keys.session(sid)], [`r:${room}`]))
    return at.seq
  }

  async members(room: string, limit: number): Promise<string[]> {
    const key = this.keys.roomMembers(room)
    const all = (await this.one(['SMEMBERS', key])) as string[]
    if (all.length === 0) return all
    // Members whose session left the live index without an ending (expired) are dropped here.
    const [live, ending] = (await this.exec([
      ['ZMSCORE', this.keys.live(), ...all],
      ['ZMSCORE', this.keys.ending(), ...all],
    ])) as [(string | null)[], (string | null)[]]
    const out: string[] = []
    const gone: string[] = []
    all.forEach((sid, i) => {
      if (live[i] !== null) out.push(sid)
      else if (ending[i] === null) gone.push(sid)
    })
    if (gone.length) await this.one(['SREM', key, ...gone])
    // A room whose members are read is in use: its set lives on (see memberTtl).
    if (out.length) await this.one(['EXPIRE', key, MEMBER_TTL_FLOOR, 'GT'])
    return out.length > limit ? out.slice(0, limit) : out
  }

  async append(key: string, data: string, exclude: string | undefined, limits: StoreLimits, origin?: AppendOrigin): Promise<Appended> {
    const seqTtl = key.startsWith('d:') ? limits.ttl : Math.max(limits.ttl, this.seqTtl)
    const args = [data, exclude ?? '', limits.maxLogLength, limits.ttl, this.keys.channel(key), seqTtl, origin?.id ?? '', origin?.check ? '1' : '0', newEpoch()]
    return appended(await this.one(this.call(SCRIPTS.append, [this.keys.logKey(key, 'n'), this.keys.logKey(key, 'l')], args)))
  }

  async read(key: string, after: number, limit: number, epoch?: string): Promise<ReadResult> {
    return readResult(await this.one(this.call(SCRIPTS.read, [this.keys.logKey(key, 'n'), this.keys.logKey(key, 'l')], readArgs({ key, after, limit, epoch }))))
  }

  async readMany(reads: LogRead[]): Promise<ReadResult[]> {
    if (reads.length <= 1) return Promise.all(reads.map((r) => this.read(r.key, r.after, r.limit, r.epoch)))
    const keys = reads.flatMap((r) => [this.keys.logKey(r.key, 'n'), this.keys.logKey(r.key, 'l')])
    return ((await this.one(this.call(SCRIPTS.readMany, keys, reads.flatMap(readArgs)))) as unknown[]).map(readResult)
  }

  async head(key: string): Promise<number> {
    return Number((await this.one(['HGET', this.keys.logKey(key, 'n'), 'n'])) ?? 0)
  }

  async position(key: string): Promise<LogPosition> {
    const [seq, epoch] = (await this.one(['HMGET', this.keys.logKey(key, 'n'), 'n', 'e'])) as (string | null)[]
    return { seq: Number(seq ?? 0), epoch: seq ? (epoch ?? '') : '' }
  }

  subscribe(key: string, listener: (entry: LogEntry | null) => void): Subscription {
    return this.listen(this.keys.channel(key), (message) => listener(message === '' ? null : parseNotification(message)))
  }

  async saveCursor(sid: string, cursor: string, limits: StoreLimits): Promise<void> {
    await this.one(this.call(SCRIPTS.setIfLive, [this.keys.session(sid)], [limits.ttl, 'cursor', cursor]))
  }

  async addMetrics(bucket: string, counts: Record<string, number>, ttlSeconds: number): Promise<void> {
    const key = this.keys.key(`m:${bucket}`)
    await this.exec([...Object.entries(counts).map(([f, v]): Command => ['HINCRBY', key, f, v]), ['EXPIRE', key, ttlSeconds]])
  }

  async readMetrics(buckets: string[]): Promise<Record<string, number>[]> {
    if (buckets.length === 0) return []
    const raw = await this.exec(buckets.map((b) => ['HGETALL', this.keys.key(`m:${b}`)]))
    return raw.map((h) => Object.fromEntries(Object.entries(pairsToHash(h)).map(([k, v]) => [k, Number(v)])))
  }

  async setFlag(name: string, ttlSeconds: number): Promise<void> {
    await this.one(['SET', this.keys.key(`flag:${name}`), '1', 'EX', ttlSeconds])
  }

  async hasFlag(name: string): Promise<boolean> {
    return (await this.one(['EXISTS', this.keys.key(`flag:${name}`)])) === 1
  }

  async pushRecent(name: string, items: string[], max: number, ttlSeconds: number): Promise<void> {
    if (items.length === 0) return
    const key = this.keys.key(`recent:${name}`)
    await this.exec([['LPUSH', key, ...items], ['LTRIM', key, 0, max - 1], ['EXPIRE', key, ttlSeconds]])
  }

  async readRecent(name: string): Promise<string[]> {
    return ((await this.one(['LRANGE', this.keys.key(`recent:${name}`), 0, -1])) as string[] | null) ?? []
  }

  async appendFeed(data: string, bounds: FeedBounds): Promise<void> {
    await this.exec(feedAppend(this.keys.feed(), data, bounds))
  }

  async readFeedBefore(through: string | undefined, limit: number): Promise<FeedEntry[]> {
    return feedEntries(await this.one(['XREVRANGE', this.keys.feed(), through ?? '+', '-', 'COUNT', limit]))
  }

  async readFeedAfter(after: string, limit: number): Promise<FeedEntry[]> {
    return feedEntries(await this.one(['XRANGE', this.keys.feed(), `(${after}`, '+', 'COUNT', limit]))
  }

  /**
   * A timed PING (one REST request), then INFO memory where the service answers it (Upstash's INFO
   * may leave out used_memory: memory is then absent), and this instance's failed calls.
   */
  async health(): Promise<StoreHealth> {
    let latencyMs: number | null = null
    let memory: StoreHealth['memory']
    try {
      const started = performance.now()
      await this.one(['PING'])
      latencyMs = performance.now() - started
      // Straight to the service, not through exec: a refused INFO is not a failed store call.
      const info = await this.rest.command(['INFO', 'memory']).catch(() => null)
      if (typeof info === 'string') memory = parseInfoMemory(info)
    } catch {
      // counted by exec
    }
    return { kind: 'upstash', latencyMs, ...(memory ? { memory } : {}), errorCount: this.failures.count, errors: this.failures.list() }
  }

  async signal(channel: string, message: string): Promise<void> {
    await this.one(['PUBLISH', this.keys.signal(channel), message])
  }

  onSignal(channel: string, listener: (message: string) => void): () => void {
    const s = this.listen(this.keys.signal(channel), (m) => {
      if (m !== '') listener(m)
    })
    s.ready.catch(() => {})
    return s.unsubscribe
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.bus.close()
    for (const bus of this.own ?? []) bus.close()
  }

  /** On the instance's shared stream, or (subscriptionPerListener) on a stream of its own. */
  private listen(channel: string, fn: (message: string) => void): Subscription {
    if (!this.own) return this.bus.listen(channel, fn)
    const own = this.own
    const bus = new PatternBus(this.rest, exactPattern(channel), this.timeoutMs, 0)
    own.add(bus)
    if (this.closed) bus.close()
    const s = bus.listen(channel, fn)
    return {
      ready: s.ready,
      unsubscribe: () => {
        s.unsubscribe()
        bus.close()
        own.delete(bus)
      },
    }
  }

  // --- internals ------------------------------------------------------------

  private call(s: Script, keys: string[], args: Arg[]): Command {
    return { script: s, args: [keys.length, ...keys, ...args] }
  }

  private async one(command: Command): Promise<Reply> {
    return (await this.exec([command]))[0]!
  }

  /**
   * Runs commands in one request (a pipeline when several). Scripts go as EVALSHA; those the
   * server does not know (NOSCRIPT: they did not run) go again as EVAL, in one more request.
   */
  private async exec(commands: Command[]): Promise<Reply[]> {
    if (this.closed) throw new StoreUnavailableError('upstash: store closed')
    try {
      const wire = await Promise.all(commands.map(async (c) => (Array.isArray(c) ? c : ['EVALSHA', await sha(c.script), ...c.args])))
      const replies = await this.send(wire)
      const missing = replies.flatMap((r, i) => (r instanceof CommandError && r.message.includes('NOSCRIPT') ? [i] : []))
      if (missing.length) {
        const again = await this.send(missing.map((i) => {
          const c = commands[i] as { script: Script; args: Arg[] }
          return ['EVAL', c.script.lua, ...c.args]
        }))
        missing.forEach((i, j) => (replies[i] = again[j]!))
      }
      const failed = replies.find((r) => r instanceof CommandError)
      if (failed) throw failed
      return replies as Reply[]
    } catch (err) {
      this.failures.note(err)
      if (err instanceof StoreUnavailableError) throw err
      // The service answered (an HTTP error status): the commands did not run.
      if (err instanceof TransportError) throw new StoreUnavailableError(err.message, { cause: err, uncertain: !/ answered \d/.test(err.message) })
      throw new StoreUnavailableError(`upstash: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }

  private async send(wire: Arg[][]): Promise<(Reply | CommandError)[]> {
    if (wire.length > 1) return this.rest.pipeline(wire)
    try {
      return [await this.rest.command(wire[0]!)]
    } catch (err) {
      if (err instanceof CommandError) return [err]
      throw err
    }
  }
}

/** SHA-1 of a script, hex, as EVALSHA wants it; computed once, on first use (never at load). */
function sha(s: Script): Promise<string> {
  s.sha ??= crypto.subtle.digest('SHA-1', new TextEncoder().encode(s.lua)).then((buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join(''))
  return s.sha
}

/**
 * The Upstash store, over the REST API (fetch only: Node, Bun, Deno, Workers, Edge).
 * Nothing is sent until the first operation.
 */
export function upstashStore(options: UpstashStoreOptions): UpstashStore {
  return new UpstashStore({ ...options, owned: true })
}
