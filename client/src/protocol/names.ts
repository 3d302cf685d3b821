/**
 * Event and room names are validated on both sides. Room names become store
 * keys, so they keep to a conservative alphabet: no braces (Redis Cluster hash
 * tags), no whitespace or control characters, bounded length.
 */
export const MAX_NAME_LENGTH = 128

const ROOM_NAME = /^[\p{L}\p{N}_\-.:@/#+!$~|]{1,128}$/u
const EVENT_NAME = /^[\p{L}\p{N}_\-.:@/#+!$~| ]{1,128}$/u

/** Names the library uses for its own events; applications may not emit them. */
export const RESERVED_EVENTS = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'reconnect',
  'reconnect_attempt',
  'reconnect_error',
  'reconnect_failed',
  'newListener',
  'removeListener',
])

/**
 * Events the client socket emits itself ('error': an emit the server refused,
 * 'gap': messages were lost, 'state': the connection state changed). A server
 * event by one of these names never reaches the application's listeners; the
 * client may still send them, so existing handlers keep their names.
 */
export const CLIENT_EVENTS = new Set(['error', 'gap', 'state'])

/** Names that object keys cannot hold faithfully (they would set a prototype instead). */
const UNSAFE_KEYS = new Set(['__proto__'])

export function isValidRoomName(name: unknown): name is string {
  return typeof name === 'string' && ROOM_NAME.test(name) && !UNSAFE_KEYS.has(name)
}

/** Keys of session state (socket.set). */
export function isValidStateKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_NAME_LENGTH && !UNSAFE_KEYS.has(key)
}

export function isValidEventName(name: unknown): name is string {
  return typeof name === 'string' && EVENT_NAME.test(name) && !RESERVED_EVENTS.has(name)
}
