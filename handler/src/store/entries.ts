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
  | { op: 'join'; seq: number; room: string }
  | { op: 'leave'; seq: number; room: string }
  | { op: 'end'; reason: string }

export const joinEntry = (room: string, seq: number) => `!join ${seq} ${room}`
export const leaveEntry = (room: string, seq: number) => `!leave ${seq} ${room}`
export const endEntry = (reason: string) => `!end ${reason}`

export const isControlEntry = (data: string) => data.charCodeAt(0) === 33 /* ! */

export function parseControlEntry(data: string): ControlEntry | null {
  const [op, a, ...rest] = data.slice(1).split(' ')
  if (op === 'end') return { op, reason: [a, ...rest].join(' ') }
  if (op === 'join' || op === 'leave') return { op, seq: Number(a), room: rest.join(' ') }
  return null
}
