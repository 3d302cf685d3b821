/**
 * Key and channel names shared by the Redis stores (ioredis over TCP, Upstash over REST),
 * so both can share one database. Every multi-key script stays inside one hash tag:
 *   <p>:{<sid>}:s        session hash: token, user, transport, createdAt, lastSeen, hwm and
 *                        rlw/rlc (claims, rate limit), s:<key> (state), r:<room> (rooms),
 *                        ended/dc (ended for idleness and kept for recovery; onDisconnect ran)
 *   <p>:{<sid>}:k        message claims: id -> 'r<lease end>' | 'd<reply>' | 'f' (claim-model.ts)
 *   <p>:{<sid>}:q / :l   the session's direct log: seq counter and stream (ids <seq>-1)
 *   <p>:{r:<room>}:q / :l / :m   a room's log, and its members (set)
 *   <p>:{live}           sorted set sid -> last seen (sweep index)
 *   <p>:{live}:ending    sorted set sid -> lease end of an ending in progress
 *   <p>:m:<bucket>, <p>:flag:<name>   metrics and flags
 * Channels: <p>:n:<log key> carries `<seq>|<exclude>|<data>` for each append;
 *           <p>:sig:<name> carries signals (cross-instance acks).
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  key(name: string): string {
    return `${this.prefix}:${name}`
  }

  session(sid: string): string {
    return `${this.prefix}:{${sid}}:s`
  }

  claims(sid: string): string {
    return `${this.prefix}:{${sid}}:k`
  }

  live(): string {
    return `${this.prefix}:{live}`
  }

  ending(): string {
    return `${this.prefix}:{live}:ending`
  }

  /** `d:<sid>` shares the session's hash tag; `r:<room>` has its own. */
  logKey(key: string, part: 'q' | 'l'): string {
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

/** Parses an append notification, `<seq>|<exclude>|<data>`. */
export function parseNotification(message: string): { seq: number; data: string; exclude?: string } {
  const a = message.indexOf('|')
  const b = message.indexOf('|', a + 1)
  const entry: { seq: number; data: string; exclude?: string } = { seq: Number(message.slice(0, a)), data: message.slice(b + 1) }
  if (b > a + 1) entry.exclude = message.slice(a + 1, b)
  return entry
}

/** The status codes the CLAIM script returns (redis-scripts.ts). */
export const CLAIM_STATUS = { 1: 'fresh', 2: 'rerun', 3: 'done', 4: 'running', 5: 'interrupted', 6: 'old', 7: 'deferred', 8: 'early' } as const
