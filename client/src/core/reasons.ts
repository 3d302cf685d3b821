/**
 * Every reason the client reports with 'disconnect', in one place. The
 * strings are Socket.IO's, so code written for socket.io-client keeps working.
 */
export const DisconnectReason = {
  /** The server ended the session (a `disconnect` frame). The client does not reconnect. */
  ServerDisconnect: 'io server disconnect',
  /** The application called `socket.disconnect()` (or the page was hidden). */
  ClientDisconnect: 'io client disconnect',
  /** The receive stream failed on the network twice in a row, or the session was lost. */
  TransportClose: 'transport close',
  /** No byte arrived for pingInterval + pingTimeout. */
  PingTimeout: 'ping timeout',
} as const

export type DisconnectReason = (typeof DisconnectReason)[keyof typeof DisconnectReason]
