/**
 * The connection state machine, centrifuge-style: three states and one
 * transition point (`ClientSocket.setState`), so every change is observable
 * in one place (DevTools hook included).
 *
 *   disconnected --connect()--> connecting --open frame--> connected
 *   connected --stream lost--> connecting (reconnect with backoff)
 *   any --disconnect() / server disconnect / attempts exhausted--> disconnected
 */
export const State = {
  Disconnected: 'disconnected',
  Connecting: 'connecting',
  Connected: 'connected',
} as const

export type State = (typeof State)[keyof typeof State]
