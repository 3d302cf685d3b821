export { Inspector, type InspectorProps } from './Inspector.js'
export { mountInspector, type MountOptions, type MountedInspector } from './mount.js'
export { httpWall, type HttpWallOptions } from './http-wall.js'
export type { InspectorWall } from './wall.js'
export type { InspectorTab } from './context.js'
export type { ThemeSetting } from './components/theme.js'
export {
  InspectorError,
  FEED_EVENT_TYPES,
  type AckDirection,
  type AckStat,
  type EmitTarget,
  type AckResult,
  type FeedEvent,
  type FeedPage,
  type FeedQuery,
  type FeedEventType,
  type FeedStatus,
  type HistogramBucket,
  type InspectorRequest,
  type InspectorResponse,
  type InspectorResponses,
  type Metrics,
  type QueuedMessage,
  type RateBucket,
  type RoomInfo,
  type SessionDetail,
  type SessionInfo,
  type Snapshot,
  type Totals,
  type ErrorStat,
  type ErrorKind,
  type Health,
  type SessionError,
} from './types.js'
// One percentile method for the server's histograms, this UI and the DevTools panel's samples.
export { histogramOf, percentileFromHistogram, formatPercentile, LATENCY_BOUNDS, PERCENTILE_NOTE } from './stats.js'
