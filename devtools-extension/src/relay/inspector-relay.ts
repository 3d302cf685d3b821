import type { InspectorCommand, InspectorReply, InspectorTarget } from './protocol.js'

/** `@socket-serve/inspector`'s wall (inspector-ui/src/wall.ts), structurally. */
export interface RelayWall {
  listen(onEvent: (event: any) => void, onStatus?: (status: any) => void): () => void
  send(request: { type: string; [key: string]: unknown }): Promise<any>
}

export interface InspectorRelayOptions {
  /** PanelLink.send */
  send(command: InspectorCommand): void
  /** how long a request waits for its reply */
  timeoutMs?: number
  newId?: () => string
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
}

export interface InspectorRelay {
  /** a wall for the Server view: requests run in the page's content script, from the page's origin */
  wall(target: InspectorTarget): RelayWall
  /** PanelLink's inspector replies */
  handle(reply: InspectorReply): void
  /** the worker restarted or the page's content script (re)connected: listens are gone there */
  relisten(): void
}

let counter = 0
const defaultId = () => `${Date.now().toString(36)}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`

function relayError(code: string, message: string, status?: number): Error {
  return Object.assign(new Error(message), { name: 'InspectorError', code, status })
}

/** The panel's side of the inspector relay: a wall whose requests and feed travel through the worker. */
export function createInspectorRelay(options: InspectorRelayOptions): InspectorRelay {
  const timeoutMs = options.timeoutMs ?? 15_000
  const newId = options.newId ?? defaultId
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
  const clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>))
  const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: unknown }>()
  const listens = new Map<string, { target: InspectorTarget; onEvent(e: unknown): void; onStatus?(s: unknown): void }>()

  return {
    wall(target) {
      return {
        listen(onEvent, onStatus) {
          const id = newId()
          listens.set(id, { target, onEvent, onStatus })
          onStatus?.('connecting')
          options.send({ kind: 'inspector:listen', id, target })
          return () => {
            if (!listens.delete(id)) return
            options.send({ kind: 'inspector:unlisten', id })
          }
        },
        send(request) {
          const id = newId()
          return new Promise((resolve, reject) => {
            const timer = setTimer(() => {
              pending.delete(id)
              reject(relayError('TIMEOUT', `no answer from the page within ${timeoutMs} ms`))
            }, timeoutMs)
            pending.set(id, { resolve, reject, timer })
            options.send({ kind: 'inspector:send', id, target, request })
          })
        },
      }
    },
    handle(reply) {
      if (reply.kind === 'inspector:reply') {
        const p = pending.get(reply.id)
        if (!p) return
        pending.delete(reply.id)
        clearTimer(p.timer)
        if (reply.ok) p.resolve(reply.value)
        else p.reject(relayError(reply.error.code, reply.error.message, reply.error.status))
        return
      }
      const l = listens.get(reply.id)
      if (!l) return
      if (reply.kind === 'inspector:event') l.onEvent(reply.event)
      else l.onStatus?.(reply.status)
    },
    relisten() {
      for (const [id, l] of listens) {
        l.onStatus?.('reconnecting')
        options.send({ kind: 'inspector:listen', id, target: l.target })
      }
    },
  }
}
