import { parseCursorId } from '@socket-serve/client/protocol'

/**
 * The compact names a stream's cursor uses for its logs (see PROTOCOL.md,
 * "Cursors in frame ids"). A room's tag is a keyed hash of its name, keyed by
 * the session id: short on every frame whatever the name's length, decodable
 * by the server from the session record alone, and meaningless to any other
 * session. Tags use no digit, so a key ends where its seq begins.
 */

/** 54 symbols, none a digit, `.` or anything an HTTP header or SSE id refuses. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_'
/** Letters taken from each 32-bit word (54^4 < 2^32). */
const PER_WORD = 4
export const DIRECT_TAG = 'd'
export const BROADCAST_TAG = '*'

/** One 32-bit lane of a seeded multiply-xorshift hash over UTF-16 units, with a final avalanche. */
function lane(text: string, seed: number): number {
  let h = seed
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995)
    h ^= h >>> 13
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function letters(text: string, count: number): string {
  let out = ''
  for (let word = 0; out.length < count; word++) {
    let h = lane(text, 0x9e3779b9 + Math.imul(word, 0x632be5ab))
    for (let i = 0; i < PER_WORD && out.length < count; i++) {
      out += ALPHABET[h % ALPHABET.length]
      h = Math.floor(h / ALPHABET.length)
    }
  }
  return out
}

/** First element of every cursor of a session: a cursor of another session (or another format) is ignored whole. */
export const sessionMark = (sid: string): string => letters(`m\n${sid}`, 4)

/**
 * A room's tag in `sid`'s cursors: 8 letters (~46 bits). When two rooms of one
 * stream share it, the later one uses its long tag (16 letters, ~92 bits) instead.
 */
export function roomTag(sid: string, room: string, long = false): string {
  return letters(`r\n${sid}\n${room}`, long ? 16 : 8)
}

/**
 * Positions a Last-Event-ID gives for one session, by tag, and their epochs. Empty
 * when it is missing, malformed, or another session's (wrong mark): the stream then
 * reads every log from where the session joined it (replay, never a skip).
 */
export function resumePositions(text: string | null | undefined, sid: string): { positions: ReadonlyMap<string, number>; epochs: ReadonlyMap<string, string> } {
  const cursor = parseCursorId(text)
  return cursor && cursor.mark === sessionMark(sid) ? cursor : NO_POSITIONS
}

/** Shared by every stream that resumes from nothing (a new session's): an open stream keeps them. */
const NO_POSITIONS = { positions: new Map<string, number>(), epochs: new Map<string, string>() } as const

/**
 * The tag under which a cursor gives a room's position: its long tag, or its short
 * one when no other room of the session has that short tag (an ambiguous tag could
 * belong to either room: it is ignored).
 */
export function roomCursorTag(positions: ReadonlyMap<string, number>, sid: string, room: string, shortTaken: (tag: string) => boolean): string | undefined {
  if (positions.size === 0) return undefined
  const long = roomTag(sid, room, true)
  if (positions.has(long)) return long
  const short = roomTag(sid, room)
  return shortTaken(short) || !positions.has(short) ? undefined : short
}

/** The position a cursor gives for a room (see roomCursorTag). */
export function roomPosition(positions: ReadonlyMap<string, number>, sid: string, room: string, shortTaken: (tag: string) => boolean): number | undefined {
  const tag = roomCursorTag(positions, sid, room, shortTaken)
  return tag === undefined ? undefined : positions.get(tag)
}
