/**
 * Which client message a handler is running for, so that emits made while it
 * runs (through socket or io) can be tagged with an origin id. When a batch is
 * run again after a store outage, emits whose origin already reached the log
 * are not appended twice.
 *
 * AsyncLocalStorage is taken from the runtime when it has one (a global on Next.js
 * Edge and Vercel Edge; Node, Bun, Deno and Workers with nodejs_compat through
 * process.getBuiltinModule), without importing `node:` modules; where there is
 * none, emits carry no origin and a re-run may repeat them.
 */
export interface HandlerContext {
  /** `<sid>:<message id>` */
  message: string
  /** the batch is being run again: appends check for their origin first */
  rerun: boolean
  /** emits made so far by this message's handler */
  emits: number
  /** store writes the handler started (awaited or not): its message is done when they are */
  writes: Promise<unknown>[]
}

interface ContextStore {
  run<R>(value: HandlerContext, fn: () => R): R
  getStore(): HandlerContext | undefined
}

type ALSClass = new () => ContextStore
type Builtins = { getBuiltinModule?: (name: string) => { AsyncLocalStorage?: ALSClass } | undefined }

function findAsyncLocalStorage(): ALSClass | undefined {
  const g = globalThis as { AsyncLocalStorage?: ALSClass; process?: Builtins }
  if (typeof g.AsyncLocalStorage === 'function') return g.AsyncLocalStorage
  try {
    return g.process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage
  } catch {
    return undefined // Next.js's Edge sandbox throws on reading a Node API it lacks
  }
}
const ALS = findAsyncLocalStorage()

export const handlerContext: ContextStore = ALS ? new ALS() : { run: (_value, fn) => fn(), getStore: () => undefined }

/** The origin id of the next emit made inside a handler, if any. */
export function nextOrigin(): { id: string; check: boolean } | undefined {
  const ctx = handlerContext.getStore()
  if (!ctx) return undefined
  return { id: `${ctx.message}:${ctx.emits++}`, check: ctx.rerun }
}

/**
 * Tells the running handler's message about a store write it started, so the
 * message counts as done only once the write is (a handler may emit without awaiting).
 */
export function trackWrite<T>(write: Promise<T>): Promise<T> {
  handlerContext.getStore()?.writes.push(write)
  return write
}
