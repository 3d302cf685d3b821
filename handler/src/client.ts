// `socket-serve/client`: the client SDK, re-exported so one install serves both sides.
export * from '@socket-serve/client'
