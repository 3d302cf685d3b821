// Raw Chrome DevTools Protocol over the --remote-debugging-port, for targets Playwright does not
// expose (the DevTools front-end and an extension's DevTools panel iframe). Node 20 has no global
// WebSocket: playwright-core's bundled `ws` (a public export of the package) carries it.
//
//   const targets = await listTargets(port)
//   const devtools = await attach(targets.find((t) => t.url.startsWith('devtools://'))!)
//   await devtools.evaluate('1 + 1')
//   devtools.close()
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

interface WsLike {
  once(event: 'open' | 'error', fn: (arg?: unknown) => void): void
  on(event: 'message', fn: (data: unknown) => void): void
  on(event: 'close', fn: () => void): void
  send(data: string): void
  close(): void
}
const { ws: WebSocketImpl } = require('playwright-core/lib/utilsBundle') as { ws: new (url: string, opts?: object) => WsLike }

export interface CdpTarget {
  id: string
  type: string
  url: string
  title: string
  webSocketDebuggerUrl: string
}

export async function listTargets(port: number): Promise<CdpTarget[]> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`)
  return (await res.json()) as CdpTarget[]
}

export interface CdpSession {
  send<T = any>(method: string, params?: Record<string, unknown>): Promise<T>
  /** Runtime.evaluate, promises awaited, the value returned by value; page exceptions reject. */
  evaluate<T = any>(expression: string): Promise<T>
  close(): void
}

export async function attach(target: CdpTarget, timeoutMs = 10_000): Promise<CdpSession> {
  const socket = new WebSocketImpl(target.webSocketDebuggerUrl, { perMessageDeflate: false })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CDP: cannot attach to ${target.url}`)), timeoutMs)
    socket.once('open', () => (clearTimeout(timer), resolve()))
    socket.once('error', (e) => (clearTimeout(timer), reject(e as Error)))
  })
  let next = 0
  const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>()
  socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } }
    const p = m.id === undefined ? undefined : pending.get(m.id)
    if (!p) return
    pending.delete(m.id!)
    if (m.error) p.reject(new Error(m.error.message))
    else p.resolve(m.result)
  })
  socket.on('close', () => {
    for (const p of pending.values()) p.reject(new Error('CDP: target closed'))
    pending.clear()
  })
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve, reject })
      socket.send(JSON.stringify({ id, method, params }))
    })
  return {
    send,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await send<{ result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
        expression,
        awaitPromise: true,
        returnByValue: true,
      })
      if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text)
      return r.result.value
    },
    close: () => socket.close(),
  }
}
