import type { MetricsStore } from '../store/types.js'
import { VERSION } from '../version.js'

/**
 * The instance list: each instance, while an inspector is configured, adds a short record of
 * itself (id, version, open streams, when) to one bounded list in the store (pushRecent), at most
 * every BEAT_MS: from its streams' heartbeats, and at the end of its requests. The list keeps
 * MAX_RECORDS records and lapses KEEP_SECONDS after the last write, so it stays small however
 * many instances come and go; the newest record per instance is its last heartbeat.
 */
export const INSTANCES_LIST = 'instances'
export const BEAT_MS = 5_000
const MAX_RECORDS = 256
const KEEP_SECONDS = 600
/**
 * An instance not heard from for this long (no request, no stream heartbeat) is shown as silent:
 * a minute, or two heartbeats and a bit when pingInterval is longer.
 */
export const SILENT_AFTER_MS = 60_000
export function silentAfter(pingInterval: number): number {
  return Math.max(SILENT_AFTER_MS, 2 * pingInterval + 5_000)
}

export interface InstanceRecord {
  id: string
  version: string
  /** streams open on it at `at` */
  streams: number
  /** its last heartbeat, ms epoch */
  at: number
  startedAt: number
}

export interface InstanceInfo extends InstanceRecord {
  /** the instance answering this request */
  self: boolean
  /** `live`: heard from within silentAfter(pingInterval); `silent`: not since (gone, or idle without streams) */
  status: 'live' | 'silent'
}

/** Ids tell instances apart in the list and in each session's `instance`: 8 random base-36 characters. */
export function newInstanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  return [...bytes].map((b) => (b % 36).toString(36)).join('')
}

/** This instance's part: what it knows of itself, written when due. */
export class InstanceBeat {
  readonly id = newInstanceId()
  private readonly startedAt = Date.now()
  private open = 0
  private writtenAt = 0

  constructor(private readonly store: Pick<MetricsStore, 'pushRecent'>) {}

  streams(open: number): void {
    this.open = open
  }

  due(now = Date.now()): boolean {
    return now - this.writtenAt >= BEAT_MS
  }

  write(now = Date.now()): Promise<void> {
    this.writtenAt = now
    const record: InstanceRecord = { id: this.id, version: VERSION, streams: this.open, at: now, startedAt: this.startedAt }
    return this.store.pushRecent(INSTANCES_LIST, [JSON.stringify(record)], MAX_RECORDS, KEEP_SECONDS).catch(() => {
      this.writtenAt = 0 // tried again at the next chance
    })
  }
}

/** The newest record of each instance in the list, most recently heard first. */
export async function listInstances(store: Pick<MetricsStore, 'readRecent'>, self: string, pingInterval: number, now = Date.now()): Promise<InstanceInfo[]> {
  const silent = silentAfter(pingInterval)
  const seen = new Map<string, InstanceRecord>()
  for (const line of await store.readRecent(INSTANCES_LIST)) {
    try {
      const r = JSON.parse(line) as InstanceRecord
      const had = seen.get(r.id)
      if (typeof r.id === 'string' && (!had || had.at < r.at)) seen.set(r.id, r)
    } catch {
      // not ours
    }
  }
  return [...seen.values()]
    .sort((a, b) => b.at - a.at)
    .map((r) => ({ ...r, self: r.id === self, status: now - r.at <= silent ? 'live' : 'silent' }))
}
