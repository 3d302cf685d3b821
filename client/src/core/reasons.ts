/**
 * Why the connection left a state, as codes (one per exit), and one table
 * that says for each whether the client comes back and what the public
 * 'disconnect' event says. The strings are Socket.IO's, so code written for
 * socket.io-client keeps working.
 */
export const DisconnectReason = {
  /** The server ended the session (a `disconnect` frame). The client does not reconnect. */
  ServerDisconnect: 'io server disconnect',
  /** The application called `socket.disconnect()` (or the page was hidden). */
  ClientDisconnect: 'io client disconnect',
  /** The receive stream failed on the network twice in a row, or the session was lost. */
  TransportClose: 'transport close',
  /** No byte arrived for pingInterval + pingTimeout, or the server took the client for gone. */
  PingTimeout: 'ping timeout',
} as const

export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason]

/** Every way out of `connecting`/`connected`, as `Connection.leave(code)` takes it. */
export const LeaveCode = {
  /** `socket.disconnect()` */
  ClientDisconnect: 1,
  /** the page was hidden for good; it reconnects if the page comes back (bfcache) */
  PageHidden: 2,
  /** a `disconnect` frame that is a kick (`io server disconnect`) */
  ServerKick: 3,
  /** a `disconnect` frame with another reason: the server took the client for gone */
  ServerEnded: 4,
  /** the receive stream failed on the network twice in a row */
  TransportClose: 5,
  /** no byte for pingInterval + pingTimeout */
  PingTimeout: 6,
  /** the server forgot the session (404) or refuses its token (401): a new one, at once */
  SessionLost: 7,
  /** a connection attempt failed (network, 5xx, a stream that never opened) */
  ConnectFailed: 8,
  /** the connect was refused by auth or middleware (401/403): retrying cannot help */
  ConnectRefused: 9,
} as const

export type LeaveCode = (typeof LeaveCode)[keyof typeof LeaveCode]

/** For each code: the reason the public 'disconnect' event carries, and whether the client reconnects. */
export const LEAVE: Record<LeaveCode, readonly [DisconnectReason, boolean]> = {
  [LeaveCode.ClientDisconnect]: [DisconnectReason.ClientDisconnect, false],
  [LeaveCode.PageHidden]: [DisconnectReason.ClientDisconnect, false],
  [LeaveCode.ServerKick]: [DisconnectReason.ServerDisconnect, false],
  [LeaveCode.ServerEnded]: [DisconnectReason.PingTimeout, true],
  [LeaveCode.TransportClose]: [DisconnectReason.TransportClose, true],
  [LeaveCode.PingTimeout]: [DisconnectReason.PingTimeout, true],
  [LeaveCode.SessionLost]: [DisconnectReason.TransportClose, true],
  [LeaveCode.ConnectFailed]: [DisconnectReason.TransportClose, true],
  [LeaveCode.ConnectRefused]: [DisconnectReason.TransportClose, false],
}
