export { serve, type IO, type FetchHandler } from './serve.js'
export type { Plugin, PluginApi, PluginContext, PluginParts } from './plugin.js'
export type { Observer, FeedEvent, Failure } from './observer.js'
export { inspector } from './inspector/plugin.js'
export { Socket } from './core/socket.js'
export type { ServeOptions, CorsOptions } from './core/options.js'
export type { Limits } from './core/limits.js'
export { DEFAULT_LIMITS } from './core/limits.js'
export type {
  BroadcastOperator,
  ConnectHandler,
  DisconnectHandler,
  MessageHandler,
  Middleware,
  PresenceEvent,
  PresenceMember,
} from './core/server.js'
export type { DefaultEventsMap, DefaultSocketData, EventsMap, EventData, EventAck, EventNames } from './core/typed-events.js'
export type { EventSchema, EventSchemas, SchemaEvents, SchemaEventsInput } from './core/schemas.js'
export { memoryStore, MemoryStore } from './store/memory.js'
export { StoreUnavailableError } from './store/errors.js'
export type { Store, Sessions, Logs, Bus, MetricsStore, StoreLimits, SessionRecord, LogEntry, Appended, ReadResult, ClaimResult, ClaimLimits, MessageClaim, MessageStatus, Admission, ConnectBounds } from './store/types.js'
export { SocketServeError, ERROR_STATUS, type ErrorCode } from '@socket-serve/client/protocol'
export type { NodeMiddleware, NodeRequest, NodeResponse } from './adapters/node.js'
