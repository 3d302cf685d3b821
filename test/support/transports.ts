import type { Transport } from '@socket-serve/client/protocol'

/** Every client scenario runs over each transport, as centrifuge-js tests do. */
export interface TransportCase {
  name: string
  transports: Transport[]
}

export const transports: TransportCase[] = [
  { name: 'sse', transports: ['sse'] },
  { name: 'polling', transports: ['polling'] },
]
