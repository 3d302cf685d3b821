import type { LogPosition, SessionRecord } from './types.js'

/**
 * A log's epoch: letters made when the log is created (its first append). A log
 * that is lost (Redis restarted without persistence, its key expired or evicted,
 * the memory store freed it) and created again starts at seq 1 under another
 * epoch, so a cursor into the old one is never taken for a position in the new.
 * Letters only, so in a cursor entry the epoch ends the seq (PROTOCOL.md).
 * A log is also renewed under a new epoch when a read finds a cursor beyond its head in its own
 * epoch (the store was rolled back: Logs.read), and a join position is recorded with its epoch.
 */
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
/** 52^4 ≈ 7.3M: the chance that a log's next incarnation draws the same epoch. */
export const EPOCH_LENGTH = 4

export function newEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(EPOCH_LENGTH))
  let out = ''
  // 256 % 52 leaves a slight bias towards the first letters; harmless for a tag that must only differ.
  for (const b of bytes) out += LETTERS[b % LETTERS.length]
  return out
}

/**
 * Records where a session joined a room: the seq and the epoch it is in (none while the log does
 * not exist: seq 0 reads any incarnation from its start).
 */
export function setJoin(record: SessionRecord, room: string, at: LogPosition): void {
  record.rooms[room] = at.seq
  if (at.epoch) (record.roomEpochs ??= {})[room] = at.epoch
  else delete record.roomEpochs?.[room]
}

/** Forgets a room of the record (left). */
export function unsetJoin(record: SessionRecord, room: string): void {
  delete record.rooms[room]
  delete record.roomEpochs?.[room]
}
