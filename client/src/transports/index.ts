import type { Transport as TransportName } from '../protocol/wire.js'
import { pollingTransport } from './polling.js'
import { sseTransport } from './sse.js'
import type { ClientTransport } from './transport.js'

const ALL: Record<TransportName, ClientTransport> = { sse: sseTransport, polling: pollingTransport }

/** The ordered list of transports to try, in the order the application named them. */
export function transportList(names: readonly TransportName[]): ClientTransport[] {
  const list: ClientTransport[] = []
  for (const name of names) {
    const t = ALL[name]
    if (t && t.supported() && !list.includes(t)) list.push(t)
  }
  return list
}

export type { ClientTransport, ReceiveRequest } from './transport.js'
