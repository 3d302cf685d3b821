import type { Hono } from 'hono'
import type { ResolvedOptions } from './core/options.js'
import type { Observer } from './observer.js'
import type { Socket } from './core/socket.js'
import type { Store } from './store/types.js'

/** The part of the server's public API a plugin may use (admin actions). */
export interface PluginApi {
  emit(event: string, data?: unknown): Promise<void>
  to(room: string): { emit(event: string, data?: unknown): Promise<void> }
  fetchSocket(sid: string): Promise<Socket<any, any, any> | null>
  /** ends a session as socket.disconnect() does; false when it was not live */
  disconnect(sid: string): Promise<boolean>
}

export interface PluginContext {
  /** the server's store, every role (the inspector reads sessions, logs and its metrics) */
  store: Store
  options: Readonly<ResolvedOptions>
  api: PluginApi
}

/** What a plugin adds: an observer of traffic, routes under `{base}/_<name>/`, a close step. */
export interface PluginParts {
  observer?: Observer
  routes?(app: Hono<any>): void
  close?(): Promise<void>
}

/**
 * A plugin (the inspector is one): serve() calls setup once, before the first
 * request. Nothing in the core knows a plugin exists beyond the Observer it gets.
 */
export interface Plugin {
  name: string
  setup(ctx: PluginContext): PluginParts
}
