import type { LogPosition } from './types.js'

/**
 * Log entries are what streams write verbatim after `data: `: a JSON message
 * frame, or a control entry (leading '!') that the stream acts on and never sends.
 */
export function messageEntry(event: string, data: unknown, ackId?: string): string {
  const frame: { e: string; d?: unknown; a?: string } = { e: event }
  if (data !== undefined) frame.d = data
  if (ackId !== undefined) frame.a = ackId
  return JSON.stringify(frame)
}

export type ControlEntry =
  /** `epoch`: of the room's log at `seq` ('' in entries from before epochs, or when the log did not exist) */
  | { op: 'join'; seq: number; epoch: string; room: string }
  | { op: 'leave'; seq: number; room: string }
  | { op: 'end'; reason: string }

/** `!join <seq><epoch> <room>`: the epoch's letters end the seq, as in a cursor entry. */
export const joinEntry = (room: string, at: LogPosition) => `!join ${at.seq}${at.epoch} ${room}`
export const leaveEntry = (room: string, seq: number) => `!leave ${seq} ${room}`
export const endEntry = (reason: string) => `!end ${reason}`

export const isControlEntry = (data: string) => data.charCodeAt(0) === 33 /* ! */

export function parseControlEntry(data: string): ControlEntry | null {
  const [op, a, ...rest] = data.slice(1).split(' ')
  if (op === 'end') return { op, reason: [a, ...rest].join(' ') }
  if (op === 'leave') return { op, seq: Number(a), room: rest.join(' ') }
  if (op === 'join') {
    const m = /^(\d+)([A-Za-z]*)$/.exec(a ?? '')
    return m ? { op, seq: Number(m[1]), epoch: m[2]!, room: rest.join(' ') } : null
  }
  return null
}
