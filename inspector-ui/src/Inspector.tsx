import { useCallback, useLayoutEffect, useMemo, useRef, useState, type CSSProperties } from 'react'
import { createPortal } from 'react-dom'
import uplotCss from 'uplot/dist/uPlot.min.css?inline'
import css from './styles.css?inline'
import { ThemeContext, type ThemeSetting } from './components/theme.js'
import { InspectorContext, type InspectorContextValue, type InspectorTab } from './context.js'
import { emptyFeedFilter, FEED_LIMIT, type FeedFilter, type FeedItem } from './feed.js'
import { httpWall } from './http-wall.js'
import { formatCount } from './stats.js'
import type { FeedEvent, InspectorError } from './types.js'
import { useFeedBacklog, mergeFeed } from './use-feed-history.js'
import { useFeed, useInspectorData } from './use-inspector.js'
import type { InspectorWall } from './wall.js'
import { AckLatency } from './views/AckLatency.js'
import { FeedStatusBadge, LiveFeed } from './views/LiveFeed.js'
import { Overview } from './views/Overview.js'
import { Rooms } from './views/Rooms.js'
import { Sessions } from './views/Sessions.js'

export interface InspectorProps {
  /** The base of the socket routes, e.g. `/api/socket`; the API is under `{endpoint}/_inspector/`. */
  endpoint?: string
  /** The inspector token. With `endpoint`, the inspector talks HTTP (see `httpWall`). */
  token?: string
  /** Where data comes from instead of HTTP (the DevTools panel's relay, tests). Wins over endpoint. */
  wall?: InspectorWall
  /** Hide admin actions even when the server allows them. */
  readonly?: boolean
  /** Snapshot and metrics polling, ms (default 2000). */
  pollInterval?: number
  /** Live feed events kept (default 2000). */
  feedLimit?: number
  initialTab?: InspectorTab
  /** A session to open at once (the DevTools panel passes the page's own). */
  initialSession?: string
  /** `auto` follows prefers-color-scheme (default). */
  theme?: ThemeSetting
  title?: string
  className?: string
  style?: CSSProperties
}

// The inspector renders in a shadow root: the host page's selectors cannot reach in (no restyled
// tables), and ours cannot leak out. Inherited properties still cross the boundary (a page's
// `* { text-transform: uppercase !important }` matches the host element itself), so the root
// sets every inherited text property back.
const RESET = `:host { display: block; }
.ssi-root { text-transform: none; letter-spacing: normal; word-spacing: normal; text-indent: 0; text-shadow: none;
  font-style: normal; font-variant: normal; font-weight: 400; text-align: start; direction: ltr; visibility: visible;
  cursor: auto; list-style: none; quotes: auto; hyphens: manual; }`
const STYLES = `${RESET}\n${uplotCss}\n${css}`

const TABS: { id: InspectorTab; label: string }[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'rooms', label: 'Rooms' },
  { id: 'feed', label: 'Live feed' },
  { id: 'acks', label: 'Ack latency' },
]

// Feed events that change what the snapshot shows soon enough to be worth an early refresh.
const REFRESHING: ReadonlySet<FeedEvent['type']> = new Set(['connect', 'disconnect', 'join', 'leave', 'message:out'])

function explain(error: InspectorError, endpoint: string | undefined): string {
  const where = endpoint ? `${endpoint.replace(/\/+$/, '')}/_inspector/` : 'the inspector'
  switch (error.code) {
    case 'UNAUTHORIZED':
      return `The token was refused by ${where} (401). Check the inspector token.`
    case 'NOT_FOUND':
      return `No inspector at ${where} (404). Is serve({ inspector: { token } }) set, and is the endpoint right?`
    case 'FORBIDDEN':
      return /origin/i.test(error.message)
        ? `This page's origin is not allowed by ${where} (403). Add it to serve({ allowedOrigins: [...] }).`
        : `Forbidden (403): ${error.message}`
    case 'NETWORK_ERROR':
      return error.message
    default:
      return error.message || error.code
  }
}

const noWall: InspectorWall = {
  listen: () => () => {},
  send: () => Promise.reject(Object.assign(new Error('No endpoint or wall given to <Inspector>'), { code: 'NO_ENDPOINT' })),
}

/**
 * The socket-serve inspector: one React tree for admin pages, the standalone page and DevTools,
 * rendered into a shadow root of its host element so the page's styles and ours stay apart.
 */
export function Inspector(props: InspectorProps) {
  const host = useRef<HTMLDivElement>(null)
  const [shadow, setShadow] = useState<ShadowRoot>()
  useLayoutEffect(() => {
    const el = host.current!
    setShadow(el.shadowRoot ?? el.attachShadow({ mode: 'open' }))
  }, [])
  return (
    <div ref={host} className={props.className} style={props.style} data-ssi-host="">
      {shadow ? createPortal(<InspectorTree {...props} />, shadow) : null}
    </div>
  )
}

function InspectorTree(props: InspectorProps) {
  const { endpoint, token } = props
  const wall = useMemo(
    () => props.wall ?? (endpoint ? httpWall({ endpoint, token: token ?? '' }) : noWall),
    [props.wall, endpoint, token],
  )
  const pollInterval = props.pollInterval ?? 2000
  const feedLimit = props.feedLimit ?? FEED_LIMIT
  const theme = props.theme ?? 'auto'

  const data = useInspectorData(wall, pollInterval)
  const { nudge } = data
  const onFeedEvent = useCallback((e: FeedEvent) => {
    if (REFRESHING.has(e.type)) nudge()
  }, [nudge])
  const feed = useFeed(wall, feedLimit, onFeedEvent)
  // The server's history before the live feed opened: shown before the live rows, each row once.
  const backlog = useFeedBacklog(wall)
  const feedItems = useMemo(() => mergeFeed(backlog.older, feed.items), [backlog.older, feed.items])

  const [tab, setTab] = useState<InspectorTab>(props.initialTab ?? 'overview')
  const [session, setSession] = useState<string | undefined>(props.initialSession)
  const [room, setRoom] = useState<string>()
  const [search, setSearch] = useState('')
  const [filter, setFilter] = useState<FeedFilter>(emptyFeedFilter)
  // A paused feed shows the items of the moment it was paused; lastKey counts what came since.
  const [frozen, setFrozen] = useState<{ items: FeedItem[]; lastKey: number }>()

  const snapshot = data.snapshot
  const readonly = Boolean(props.readonly || snapshot?.readonly)
  const context = useMemo<InspectorContextValue>(
    () => ({
      wall,
      readonly,
      now: snapshot?.time ?? Date.now(),
      openSession: (id) => {
        setSession(id)
        setTab('sessions')
      },
      openRoom: (name) => {
        setRoom(name)
        setTab('rooms')
      },
      nudge,
    }),
    [wall, readonly, snapshot?.time, nudge],
  )

  const counts: Partial<Record<InspectorTab, string>> = {
    sessions: snapshot ? formatCount(snapshot.totals.sessions) : undefined,
    rooms: snapshot ? formatCount(snapshot.totals.rooms) : undefined,
    feed: feed.items.length ? formatCount(feed.items.length) : undefined,
    acks: data.metrics?.acks.length ? String(data.metrics.acks.length) : undefined,
  }

  const rootClass = `ssi-root${props.className ? ` ${props.className}` : ''}`
  return (
    <ThemeContext.Provider value={theme}>
      <InspectorContext.Provider value={context}>
        <style>{STYLES}</style>
        <div className={rootClass} data-theme={theme} data-testid="ssi-root" data-readonly={readonly}>
          <header className="ssi-top">
            <div className="ssi-brand">
              <span className="ssi-logo" aria-hidden="true">◉</span>
              <span className="ssi-title">{props.title ?? 'socket-serve inspector'}</span>
              {endpoint && !props.wall ? <span className="ssi-muted ssi-small ssi-mono ssi-ellipsis">{endpoint}</span> : null}
              {readonly ? <span className="ssi-badge" data-testid="ssi-readonly">read-only</span> : null}
            </div>
            <div className="ssi-top-right">
              <FeedStatusBadge status={feed.status} />
              <button type="button" className="ssi-button ssi-ghost" onClick={data.refresh} title="Refresh now" aria-label="Refresh now" data-testid="ssi-refresh">
                ↻
              </button>
            </div>
          </header>
          <nav className="ssi-tabs" role="tablist" aria-label="Inspector views">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                className={`ssi-tab${tab === t.id ? ' ssi-active' : ''}`}
                onClick={() => setTab(t.id)}
                data-testid={`ssi-tab-${t.id}`}
              >
                {t.label}
                {counts[t.id] ? <span className="ssi-tab-count">{counts[t.id]}</span> : null}
              </button>
            ))}
          </nav>
          {data.error ? (
            <div className="ssi-error" role="alert" data-testid="ssi-error" data-code={data.error.code}>
              {explain(data.error, endpoint)}
              {snapshot ? <span className="ssi-muted"> Showing the last data received.</span> : null}
            </div>
          ) : null}
          <main className="ssi-main" role="tabpanel" data-view={tab}>
            {tab === 'overview' ? <Overview snapshot={snapshot} metrics={data.metrics} onTab={setTab} /> : null}
            {tab === 'sessions' ? (
              <Sessions tick={data.updatedAt} search={search} onSearch={setSearch} selected={session} onSelect={setSession} feed={feed.items} />
            ) : null}
            {tab === 'rooms' ? <Rooms snapshot={snapshot} selected={room} onSelect={setRoom} /> : null}
            {tab === 'feed' ? (
              <LiveFeed
                items={frozen?.items ?? feedItems}
                pending={frozen ? Math.max(0, (feed.items.at(-1)?.key ?? frozen.lastKey) - frozen.lastKey) : 0}
                limit={feedLimit}
                status={feed.status}
                filter={filter}
                onFilter={setFilter}
                paused={frozen !== undefined}
                onPause={(p) => setFrozen(p ? { items: feedItems, lastKey: feed.items.at(-1)?.key ?? 0 } : undefined)}
                older={{ more: backlog.more, loading: backlog.loading, load: backlog.loadOlder }}
                onClear={() => {
                  feed.clear()
                  backlog.clear()
                  setFrozen((f) => (f ? { items: [], lastKey: feed.items.at(-1)?.key ?? f.lastKey } : undefined))
                }}
              />
            ) : null}
            {tab === 'acks' ? <AckLatency metrics={data.metrics} /> : null}
          </main>
        </div>
      </InspectorContext.Provider>
    </ThemeContext.Provider>
  )
}
