import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis'
import { newEpoch } from './epochs.js'
import { StoreUnavailableError } from './errors.js'
import { feedAppend, feedEntries, pipelineErrors } from './feed-commands.js'
import { parseInfoMemory, RecentErrors } from './recent-errors.js'
import { appended, claimResult, joinField, MEMBER_TTL_FLOOR, memberTtl, parseNotification, positionResult, readArgs, readResult, recordFromHash, RedisKeys, sessionFields } from './redis-keys.js'
import { ADMIT, APPEND, BEGIN_END, CLAIM, FINISH, FINISH_END, IDLE, JOIN, JOINED, KEEP_ALIVE, LEAVE, MARK, MEMBERSHIP, READ, READ_MANY, RENEW, REVIVE, SET_IF_LIVE, START, TOUCH, UNEND } from './redis-scripts.js'
import type { Admission, Appended, AppendOrigin, LogPosition, ConnectBounds, ClaimLimits, ClaimResult, FeedBounds, FeedEntry, FinishedMessage, KeepAliveResult, LogEntry, LogRead, ReadResult, SessionRecord, Store, StoreHealth, StoreLimits, Subscription } from './types.js'

/** Key layout and channels: redis-keys.ts (shared with the Upstash store). */

type Client = Redis | Cluster
type ScriptName = 'ssAppend' | 'ssRead' | 'ssReadMany' | 'ssKeepAlive' | 'ssClaim' | 'ssRenew' | 'ssStart' | 'ssFinish' | 'ssBeginEnd' | 'ssIdle' | 'ssRevive' | 'ssFinishEnd' | 'ssUnend' | 'ssMark' | 'ssSetIfLive' | 'ssTouch' | 'ssMembership' | 'ssJoin' | 'ssJoined' | 'ssLeave' | 'ssAdmit'
type Scripted = Client & Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>

export interface RedisStoreOptions {
  /**
   * Starts every key and channel (default 'ss'): apps sharing one Redis each set their own, and
   * never see (or sweep) each other's sessions. Letters, digits, '_', '.', '-'.
   */
  keyPrefix?: string
  /** @deprecated the former name of keyPrefix */
  prefix?: string
  /** seconds a room log's numbering (head seq and epoch) outlives its last append (default 30 days) */
  seqTtl?: number
}

/** Sessions per KEEP_ALIVE call. */
const KEEP_ALIVE_CHUNK = 1000

/** Our own connections fail fast while Redis is down, so requests get a 503 instead of hanging. */
const OWN_CLIENT_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  // A command whose reply was lost may have run: sending it again would append twice.
  autoResendUnfulfilledCommands: false,
  lazyConnect: true,
  retryStrategy: (times) => Math.min(50 * times, 1000),
}

export class RedisStore implements Store {
  readonly ownedByServer?: boolean
  private readonly client: Scripted
  private readonly sub: Client
  private readonly keys: RedisKeys
  private readonly seqTtl: number
  /** the first connection, while it is being made */
  private connecting?: Promise<void>
  private connected = false
  private channels = new Map<string, { listeners: Set<(message: string) => void>; ready: Promise<void> }>()
  private everReady = false
  /** channels waiting for the SUBSCRIBE of this tick */
  private pendingSubscribe?: { channels: string[]; done: Promise<void> }
  private closed = false
  /** failed calls on this instance, for health() */
  private readonly failures = new RecentErrors()

  constructor(client: Client, options: RedisStoreOptions & { owned?: boolean } = {}) {
    this.keys = new RedisKeys(options.keyPrefix ?? options.prefix)
    this.seqTtl = options.seqTtl ?? 30 * 24 * 3600
    this.client = client as Scripted
    defineScripts(this.client)
    // One subscriber connection per store (per instance), shared by all its streams.
    this.sub = (client as Redis).duplicate() as Client
    this.sub.on('error', () => {}) // reconnects on its own; failures surface as resyncs
    this.client.on('error', () => {})
    this.sub.on('message', (channel: string, message: string) => {
      const c = this.channels.get(channel)
      if (c) for (const fn of c.listeners) fn(message)
    })
    // After a reconnect, notifications sent meanwhile are gone: tell listeners to re-read.
    this.sub.on('ready', () => {
      if (this.everReady) {
        this.resync()
        setTimeout(() => this.resync(), 500)
      }
      this.everReady = true
    })
    if (options.owned) this.ownedByServer = true
  }

  async createSession(r: SessionRecord, limits: StoreLimits): Promise<void> {
    const key = this.session(r.sid)
    await this.run(() =>
      Promise.all([this.client.hset(key, sessionFields(r)), this.client.expire(key, limits.ttl), this.client.zadd(this.live(), r.lastSeen, r.sid)]),
    )
  }

  async getSession(sid: string): Promise<SessionRecord | null> {
    return recordFromHash(sid, await this.run(() => this.client.hgetall(this.session(sid))))
  }

  async setState(sid: string, patch: Record<string, unknown>, limits: StoreLimits): Promise<boolean> {
    const args: string[] = []
    const removed: string[] = []
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) removed.push(`s:${k}`)
      else args.push(`s:${k}`, JSON.stringify(v))
    }
    if (removed.length) await this.run(() => this.client.hdel(this.session(sid), ...removed))
    if (args.length === 0) return (await this.run(() => this.client.exists(this.session(sid)))) === 1
    return (await this.run(() => this.client.ssSetIfLive(this.session(sid), limits.ttl, ...args))) === 1
  }

  async touch(sids: string[], now: number, limits: StoreLimits, transport?: string): Promise<string[]> {
    const replies = await this.run(() =>
      Promise.all(
        sids.flatMap((sid) => [
          this.client.ssTouch(this.session(sid), this.logKey(`d:${sid}`, 'n'), this.logKey(`d:${sid}`, 'l'), now, limits.ttl, transport ?? ''),
          this.client.zadd(this.live(), 'XX', now, sid),
        ]),
      ),
    )
    return sids.filter((_, i) => replies[2 * i] === 2)
  }

  async keepAlive(sids: string[], now: number, idleCutoff: number): Promise<KeepAliveResult> {
    const out: KeepAliveResult = { missing: [], sweepDue: false }
    // Chunks keep each script's argument list well inside Lua's stack.
    for (let i = 0; i < sids.length; i += KEEP_ALIVE_CHUNK) {
      const chunk = sids.slice(i, i + KEEP_ALIVE_CHUNK)
      const [due, ...missing] = (await this.run(() => this.client.ssKeepAlive(this.live(), this.ending(), now, idleCutoff, ...chunk))) as (string | number)[]
      if (Number(due) === 1) out.sweepDue = true
      out.missing.push(...(missing as string[]))
    }
    return out
  }

  async seenAt(sids: string[]): Promise<(number | null)[]> {
    if (sids.length === 0) return []
    const scores = await this.run(() => this.client.zmscore(this.live(), ...sids))
    return scores.map((s) => (s === null ? null : Number(s)))
  }

  async idleSessions(cutoff: number, limit: number): Promise<string[]> {
    return (await this.run(() => this.client.ssIdle(this.live(), this.ending(), cutoff, limit))) as string[]
  }

  async sessionIds(limit: number, offset = 0): Promise<string[]> {
    return this.run(() => this.client.zrange(this.live(), String(offset), String(offset + limit - 1)))
  }

  async liveCount(): Promise<number> {
    return this.run(() => this.client.zcard(this.live()))
  }

  async beginEnd(sid: string, leaseMs: number, idleBefore?: number): Promise<boolean> {
    if ((await this.run(() => this.client.ssBeginEnd(this.live(), this.ending(), sid, leaseMs, idleBefore ?? ''))) !== 1) return false
    // The record (another hash slot) says so too: from now on its joins are refused.
    await this.run(() => this.client.ssMark(this.session(sid), 'ending', '1'))
    return true
  }

  async markDisconnected(sid: string): Promise<void> {
    await this.run(() => this.client.ssMark(this.session(sid), 'dc', '1'))
  }

  async finishEnd(sid: string, reason: string, recoverMs: number): Promise<void> {
    await this.run(() => this.client.ssFinishEnd(this.session(sid), this.logKey(`d:${sid}`, 'n'), this.logKey(`d:${sid}`, 'l'), this.claims(sid), reason, Math.max(0, Math.round(recoverMs))))
    await this.run(() => Promise.all([this.client.zrem(this.ending(), sid), this.client.zrem(this.live(), sid)]))
  }

  async revive(sid: string, now: number, limits: StoreLimits): Promise<boolean> {
    if ((await this.run(() => this.client.ssRevive(this.live(), this.ending(), sid, now))) !== 1) return false
    await this.run(() => this.client.ssUnend(this.session(sid), this.claims(sid), limits.ttl))
    return true
  }

  async deleteSession(sid: string): Promise<void> {
    await this.run(() =>
      Promise.all([
        this.client.del(this.session(sid), this.logKey(`d:${sid}`, 'n'), this.logKey(`d:${sid}`, 'l'), this.claims(sid)),
        this.client.zrem(this.live(), sid),
        this.client.zrem(this.ending(), sid),
      ]),
    )
  }

  async claimMessages(sid: string, token: string, ids: number[], limits: ClaimLimits, answered?: number): Promise<ClaimResult> {
    // The live index (another hash slot) is refreshed by the caller once the claim says the
    // token was right (touch): a wrong token must not keep a session alive.
    const res = (await this.run(() =>
      this.client.ssClaim(this.session(sid), this.claims(sid), token, limits.leaseMs, limits.ttl, limits.rate?.limit ?? 0, limits.rate?.windowMs ?? 1000, limits.owner, answered ?? -1, ...ids),
    )) as unknown[]
    return claimResult(sid, ids, res)
  }

  async renewLeases(sid: string, ids: number[], leaseMs: number, owner: string): Promise<void> {
    if (ids.length === 0) return
    await this.run(() => this.client.ssRenew(this.claims(sid), leaseMs, owner, ...ids))
  }

  async startMessages(sid: string, ids: number[], owner: string): Promise<void> {
    if (ids.length === 0) return
    await this.run(() => this.client.ssStart(this.claims(sid), owner, ...ids))
  }

  async finishMessages(sid: string, done: FinishedMessage[], released: number[], owner: string): Promise<void> {
    if (done.length === 0 && released.length === 0) return
    const args: (string | number)[] = [owner, done.length]
    for (const d of done) args.push(d.id, d.ack)
    args.push(...released)
    await this.run(() => this.client.ssFinish(this.claims(sid), ...args))
  }

  async joinRoom(sid: string, room: string, limits: StoreLimits, maxRooms = 0): Promise<LogPosition | null | 'full'> {
    // Reserve in the record (bound and liveness checked atomically), join the set, then record the head and epoch.
    const reserved = Number(await this.run(() => this.client.ssJoin(this.session(sid), `r:${room}`, maxRooms, limits.ttl)))
    if (reserved === -2) return 'full'
    if (reserved !== 1) return null
    const at = positionResult(await this.run(() => this.client.ssMembership(this.roomMembers(room), this.logKey(`r:${room}`, 'n'), sid, 1, memberTtl(limits))))
    if ((await this.run(() => this.client.ssJoined(this.session(sid), `r:${room}`, joinField(at)))) === 1) return at
    // The session began ending meanwhile: a join after the end is refused and undone.
    await this.run(() => Promise.all([this.client.srem(this.roomMembers(room), sid), this.client.ssLeave(this.session(sid), `r:${room}`)]))
    return null
  }

  async admitConnect(address: string | undefined, bounds: ConnectBounds): Promise<Admission> {
    const per = address ? bounds.perAddress : 0
    const res = Number(await this.run(() => this.client.ssAdmit(this.live(), this.keys.connects(address ?? ''), bounds.sessions, per, bounds.windowMs)))
    if (res === 0) return { admitted: true }
    return res === -1 ? { admitted: false, reason: 'sessions', retryAfterMs: 5000 } : { admitted: false, reason: 'address', retryAfterMs: res }
  }

  async dropMemberships(sid: string, rooms: string[]): Promise<void> {
    await this.run(() => Promise.all(rooms.map((room) => this.client.srem(this.roomMembers(room), sid))))
  }

  async restoreMemberships(sid: string, rooms: string[], limits?: StoreLimits): Promise<void> {
    const ttl = memberTtl(limits)
    await this.run(() => Promise.all(rooms.map((room) => this.client.ssMembership(this.roomMembers(room), this.logKey(`r:${room}`, 'n'), sid, 1, ttl))))
  }

  async leaveRoom(sid: string, room: string): Promise<number> {
    const at = positionResult(await this.run(() => this.client.ssMembership(this.roomMembers(room), this.logKey(`r:${room}`, 'n'), sid, 0, 0)))
    await this.run(() => this.client.ssLeave(this.session(sid), `r:${room}`))
    return at.seq
  }

  async members(room: string, limit: number): Promise<string[]> {
    const all = await this.run(() => this.client.smembers(this.roomMembers(room)))
    if (all.length === 0) return all
    // Members whose session left the live index without an ending (expired) are dropped here.
    const [live, ending] = await this.run(() =>
      Promise.all([this.client.zmscore(this.live(), ...all), this.client.zmscore(this.ending(), ...all)]),
    )
    const out: string[] = []
    const gone: string[] = []
    all.forEach((sid, i) => {
      if (live[i] !== null) out.push(sid)
      else if (ending[i] === null) gone.push(sid)
    })
    if (gone.length) await this.run(() => this.client.srem(this.roomMembers(room), ...gone))
    // A room whose members are read is in use: its set lives on (see memberTtl).
    if (out.length) await this.run(() => this.client.expire(this.roomMembers(room), MEMBER_TTL_FLOOR, 'GT'))
    return out.length > limit ? out.slice(0, limit) : out
  }

  async append(key: string, data: string, exclude: string | undefined, limits: StoreLimits, origin?: AppendOrigin): Promise<Appended> {
    const seqTtl = key.startsWith('d:') ? limits.ttl : Math.max(limits.ttl, this.seqTtl)
    return appended(
      await this.run(() =>
        this.client.ssAppend(this.logKey(key, 'n'), this.logKey(key, 'l'), data, exclude ?? '', limits.maxLogLength, limits.ttl, this.channel(key), seqTtl, origin?.id ?? '', origin?.check ? '1' : '0', newEpoch()),
      ),
    )
  }

  async read(key: string, after: number, limit: number, epoch?: string): Promise<ReadResult> {
    return readResult(await this.run(() => this.client.ssRead(this.logKey(key, 'n'), this.logKey(key, 'l'), ...readArgs({ key, after, limit, epoch }))))
  }

  async readMany(reads: LogRead[]): Promise<ReadResult[]> {
    // A Cluster cannot name keys of several slots in one script: one READ per log there.
    if (reads.length <= 1 || this.client instanceof Cluster) return Promise.all(reads.map((r) => this.read(r.key, r.after, r.limit, r.epoch)))
    const keys = reads.flatMap((r) => [this.logKey(r.key, 'n'), this.logKey(r.key, 'l')])
    const reply = (await this.run(() => this.client.ssReadMany(keys.length, ...keys, ...reads.flatMap(readArgs)))) as unknown[]
    return reply.map(readResult)
  }

  async head(key: string): Promise<number> {
    return Number((await this.run(() => this.client.hget(this.logKey(key, 'n'), 'n'))) ?? 0)
  }

  async position(key: string): Promise<LogPosition> {
    const [seq, epoch] = await this.run(() => this.client.hmget(this.logKey(key, 'n'), 'n', 'e'))
    return { seq: Number(seq ?? 0), epoch: seq ? (epoch ?? '') : '' }
  }

  subscribe(key: string, listener: (entry: LogEntry | null) => void): Subscription {
    return this.listen(this.channel(key), (message) => listener(message === '' ? null : parseNotification(message)))
  }

  async saveCursor(sid: string, cursor: string, limits: StoreLimits): Promise<void> {
    await this.run(() => this.client.ssSetIfLive(this.session(sid), limits.ttl, 'cursor', cursor))
  }

  async addMetrics(bucket: string, counts: Record<string, number>, ttlSeconds: number): Promise<void> {
    const key = this.key(`m:${bucket}`)
    await this.run(() =>
      Promise.all([...Object.entries(counts).map(([f, v]) => this.client.hincrby(key, f, v)), this.client.expire(key, ttlSeconds)]),
    )
  }

  async readMetrics(buckets: string[]): Promise<Record<string, number>[]> {
    const raw = await this.run(() => Promise.all(buckets.map((b) => this.client.hgetall(this.key(`m:${b}`)))))
    return raw.map((h) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)])))
  }

  async setFlag(name: string, ttlSeconds: number): Promise<void> {
    await this.run(() => this.client.set(this.key(`flag:${name}`), '1', 'EX', ttlSeconds))
  }

  async hasFlag(name: string): Promise<boolean> {
    return (await this.run(() => this.client.exists(this.key(`flag:${name}`)))) === 1
  }

  async pushRecent(name: string, items: string[], max: number, ttlSeconds: number): Promise<void> {
    if (items.length === 0) return
    const key = this.key(`recent:${name}`)
    await this.run(() =>
      Promise.all([this.client.lpush(key, ...items), this.client.ltrim(key, 0, max - 1), this.client.expire(key, ttlSeconds)]),
    )
  }

  async readRecent(name: string): Promise<string[]> {
    return this.run(() => this.client.lrange(this.key(`recent:${name}`), 0, -1))
  }

  async appendFeed(data: string, bounds: FeedBounds): Promise<void> {
    const key = this.keys.feed()
    await this.run(() => this.client.pipeline(feedAppend(key, data, bounds).map(([name, ...args]) => [String(name).toLowerCase(), ...args])).exec().then(pipelineErrors))
  }

  async readFeedBefore(through: string | undefined, limit: number): Promise<FeedEntry[]> {
    return feedEntries(await this.run(() => this.client.xrevrange(this.keys.feed(), through ?? '+', '-', 'COUNT', limit)))
  }

  async readFeedAfter(after: string, limit: number): Promise<FeedEntry[]> {
    return feedEntries(await this.run(() => this.client.xrange(this.keys.feed(), `(${after}`, '+', 'COUNT', limit)))
  }

  /** A timed PING and INFO memory (on a Cluster: of the node ioredis picks), and this instance's failed calls. */
  async health(): Promise<StoreHealth> {
    let latencyMs: number | null = null
    let memory: StoreHealth['memory']
    try {
      await this.ready()
      const started = performance.now()
      await this.client.ping()
      latencyMs = performance.now() - started
      memory = parseInfoMemory(await this.client.info('memory'))
    } catch (err) {
      this.failures.note(err)
    }
    return { kind: 'redis', latencyMs, ...(memory ? { memory } : {}), errorCount: this.failures.count, errors: this.failures.list() }
  }

  async signal(channel: string, message: string): Promise<void> {
    await this.run(() => this.client.publish(this.keys.signal(channel), message))
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
    this.channels.clear()
    await Promise.allSettled([this.sub.quit(), this.client.quit()])
    this.sub.disconnect()
    this.client.disconnect()
  }

  // --- internals ------------------------------------------------------------

  /** One Redis subscription per channel; listeners share it. '' is the resync message. */
  private listen(channel: string, listener: (message: string) => void): Subscription {
    let c = this.channels.get(channel)
    if (!c) {
      const ready = this.subscribeSoon(channel)
      c = { listeners: new Set(), ready: ready.catch((err) => Promise.reject(unavailable(err))) }
      c.ready.catch(() => this.channels.get(channel) === c && this.channels.delete(channel))
      this.channels.set(channel, c)
    }
    const entry = c
    entry.listeners.add(listener)
    return {
      ready: entry.ready,
      unsubscribe: () => {
        entry.listeners.delete(listener)
        if (entry.listeners.size === 0 && this.channels.get(channel) === entry) {
          this.channels.delete(channel)
          if (!this.closed) this.sub.unsubscribe(channel).catch(() => {})
        }
      },
    }
  }

  /**
   * Channels asked for in the same tick go in one SUBSCRIBE: a stream opening watches its direct
   * log and its rooms' logs at once, and that is one command, not one per log.
   */
  private subscribeSoon(channel: string): Promise<void> {
    if (!this.pendingSubscribe) {
      const batch = { channels: [] as string[], done: Promise.resolve() }
      batch.done = Promise.resolve()
        .then(() => {
          if (this.pendingSubscribe === batch) this.pendingSubscribe = undefined
          return this.ready()
        })
        .then(() => this.sub.subscribe(...batch.channels))
        .then(() => undefined)
      this.pendingSubscribe = batch
    }
    this.pendingSubscribe.channels.push(channel)
    return this.pendingSubscribe.done
  }

  /**
   * Connects on first use. A first connection that fails is tried again by the next call
   * (a store created while Redis was down recovers once it is up). Once connected, ioredis
   * reconnects by itself and commands fail fast meanwhile (503).
   */
  private ready(): Promise<void> {
    if (this.connected) return Promise.resolve()
    this.connecting ??= Promise.all([connect(this.client), connect(this.sub)]).then(
      () => {
        this.connected = true
        this.connecting = undefined
      },
      (err) => {
        this.connecting = undefined
        throw err
      },
    )
    return this.connecting
  }

  private resync(): void {
    for (const c of this.channels.values()) for (const fn of c.listeners) fn('')
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.ready()
      // Between a lost connection and the next 'ready', fail at once: an auto-pipelined script
      // sent then (no offline queue) is never settled by ioredis and can hold back every later
      // call of its pipeline (ioredis#1511), so a request would hang instead of getting a 503.
      if (this.client.status !== 'ready') throw new Error(`redis is not reachable (${this.client.status})`)
      return await fn()
    } catch (err) {
      this.failures.note(err)
      throw unavailable(err)
    }
  }

  private key(name: string): string {
    return this.keys.key(name)
  }

  private session(sid: string): string {
    return this.keys.session(sid)
  }

  private claims(sid: string): string {
    return this.keys.claims(sid)
  }

  private live(): string {
    return this.keys.live()
  }

  private ending(): string {
    return this.keys.ending()
  }

  private logKey(key: string, part: 'n' | 'l'): string {
    return this.keys.logKey(key, part)
  }

  private roomMembers(room: string): string {
    return this.keys.roomMembers(room)
  }

  private channel(key: string): string {
    return this.keys.channel(key)
  }
}

function unavailable(err: unknown): Error {
  if (err instanceof StoreUnavailableError) return err
  const message = err instanceof Error ? err.message : String(err)
  // Refused before it was written to a connection: it did not run. ("Connection is closed" also
  // rejects commands that were in flight, so it stays uncertain.)
  const unsent = /enableOfflineQueue|not reachable|ECONNREFUSED|connection ended/.test(message)
  return new StoreUnavailableError(`redis: ${message}`, { cause: err, uncertain: !unsent })
}

/** Until the first connection: start it (lazy or ended), wait for one under way, fail fast while retrying. */
async function connect(client: Client): Promise<void> {
  if (client.status === 'ready') return
  if (client.status === 'wait' || client.status === 'end') {
    await client.connect()
    return
  }
  if (client.status === 'reconnecting') throw new Error('redis is not reachable (reconnecting)')
  await new Promise<void>((resolve, reject) => {
    const settle = (err?: Error) => {
      client.off('ready', onReady).off('end', onFail).off('reconnecting', onFail)
      if (err) reject(err)
      else resolve()
    }
    const onReady = () => settle()
    const onFail = () => settle(new Error('redis is not reachable'))
    client.once('ready', onReady).once('end', onFail).once('reconnecting', onFail)
  })
}

function defineScripts(client: Client): void {
  if ('ssAppend' in client) return
  // A fixed key count lets ioredis route each call (and group auto-pipelines) by its first key's slot.
  const scripts: [string, string, number | undefined][] = [
    ['ssAppend', APPEND, 2],
    ['ssRead', READ, 2],
    ['ssReadMany', READ_MANY, undefined], // key count passed first: it varies
    ['ssKeepAlive', KEEP_ALIVE, 2],
    ['ssClaim', CLAIM, 2],
    ['ssRenew', RENEW, 1],
    ['ssStart', START, 1],
    ['ssFinish', FINISH, 1],
    ['ssBeginEnd', BEGIN_END, 2],
    ['ssIdle', IDLE, 2],
    ['ssRevive', REVIVE, 2],
    ['ssFinishEnd', FINISH_END, 4],
    ['ssUnend', UNEND, 2],
    ['ssMark', MARK, 1],
    ['ssSetIfLive', SET_IF_LIVE, 1],
    ['ssTouch', TOUCH, 3],
    ['ssMembership', MEMBERSHIP, 2],
    ['ssJoin', JOIN, 1],
    ['ssJoined', JOINED, 1],
    ['ssLeave', LEAVE, 1],
    ['ssAdmit', ADMIT, 2],
  ]
  for (const [name, lua, numberOfKeys] of scripts) client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys })
}

/**
 * The Redis store. Pass a URL, an ioredis client (Redis or Cluster), or a list
 * of cluster nodes. Connections created here fail fast while Redis is down.
 */
export function redisStore(target: string | Client | ClusterNode[], options: RedisStoreOptions = {}): RedisStore {
  if (typeof target === 'string') {
    return new RedisStore(new Redis(target, OWN_CLIENT_OPTIONS), { ...options, owned: true })
  }
  if (Array.isArray(target)) {
    const cluster = new Cluster(target, {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      lazyConnect: true,
      redisOptions: { maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false },
      clusterRetryStrategy: (times) => Math.min(50 * times, 1000),
    })
    return new RedisStore(cluster, { ...options, owned: true })
  }
  return new RedisStore(target, options)
}
