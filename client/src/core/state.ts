/**
 * The connection state machine, centrifuge-style: three states and one
 * writer (`Connection.setState`), which emits the public 'state' event
 * `{ newState, oldState }` (DevTools reporting listens to the same change).
 *
 *   disconnected --connect()--> connecting --open frame--> connected
 *   connected --stream lost / session lost / server ended it--> connecting (reconnect with backoff)
 *   any --disconnect() / kick / refused / attempts exhausted--> disconnected
 */
export const State = {
  Disconnected: 'disconnected',
  Connecting: 'connecting',
  Connected: 'connected',
} as const

export type State = (typeof State)[keyof typeof State]

export interface StateChange {
  newState: State
  oldState: State
}
