import { useCallback, useEffect, useMemo, useState } from 'react'
import { DataGrid, type GridColumn } from '../components/DataGrid.js'
import { Json } from '../components/Json.js'
import { useInspector } from '../context.js'
import { matchesFeedFilter, previewData, type FeedFilter, type FeedItem } from '../feed.js'
import { formatClock, formatCount, formatMs } from '../stats.js'
import { useFeedSearch } from '../use-feed-history.js'
import { FEED_EVENT_TYPES, type FeedEventType, type FeedStatus } from '../types.js'

function SessionLink({ sid }: { sid: string | undefined }) {
  const { openSession } = useInspector()
  if (!sid) return <span className="ssi-muted">–</span>
  return (
    <button
      type="button"
      className="ssi-link ssi-mono ssi-ellipsis"
      title={sid}
      onClick={(e) => {
        e.stopPropagation()
        openSession(sid)
      }}
    >
      {sid}
    </button>
  )
}

function RoomLink({ room }: { room: string | undefined }) {
  const { openRoom } = useInspector()
  if (!room) return <span className="ssi-muted">–</span>
  if (room === '*') return <span className="ssi-muted">everyone</span>
  return (
    <button
      type="button"
      className="ssi-link ssi-ellipsis"
      title={room}
      onClick={(e) => {
        e.stopPropagation()
        openRoom(room)
      }}
    >
      {room}
    </button>
  )
}

/** What else there is to say about an event, in one line. */
export function feedDetail(e: FeedItem): string {
  const parts: string[] = []
  if (e.type === 'ack') {
    if (e.direction) parts.push(e.direction === 'client' ? 'client → server' : 'server → client')
    if (e.latency !== undefined) parts.push(formatMs(e.latency))
  }
  if (e.reason) parts.push(e.reason)
  if (e.data !== undefined) parts.push(previewData(e.data))
  return parts.join(' · ')
}

const timeColumn: GridColumn<FeedItem> = {
  id: 'at',
  accessorKey: 'at',
  header: 'Time',
  meta: { width: '6.8rem', mono: true },
  cell: ({ row }) => <span className="ssi-muted">{formatClock(row.original.at)}</span>,
  enableSorting: false,
}
const typeColumn: GridColumn<FeedItem> = {
  id: 'type',
  accessorKey: 'type',
  header: 'Type',
  meta: { width: '6.6rem' },
  cell: ({ row }) => <span className={`ssi-type ssi-type-${row.original.type.replace(':', '-')}`}>{row.original.type}</span>,
  enableSorting: false,
}
const sessionColumn: GridColumn<FeedItem> = {
  id: 'sid',
  accessorFn: (e) => e.sid ?? '',
  header: 'Session',
  meta: { width: 'minmax(6rem, 1fr)' },
  cell: ({ row }) => <SessionLink sid={row.original.sid} />,
  enableSorting: false,
}
const roomColumn: GridColumn<FeedItem> = {
  id: 'room',
  accessorFn: (e) => e.room ?? '',
  header: 'Room',
  meta: { width: 'minmax(4rem, 0.7fr)' },
  cell: ({ row }) => <RoomLink room={row.original.room} />,
  enableSorting: false,
}
const eventColumn: GridColumn<FeedItem> = {
  id: 'event',
  accessorFn: (e) => e.event ?? '',
  header: 'Event',
  meta: { width: 'minmax(5rem, 0.8fr)', mono: true },
  enableSorting: false,
}
/** The result of a message's ack, on the message's own row: ok, the error code, or timeout. */
export function AckCell({ item }: { item: FeedItem }) {
  const ack = item.ack
  if (!ack) return <span className="ssi-muted">–</span>
  const label = ack.status === 'ok' ? 'ok' : ack.status === 'timeout' ? `timeout${ack.code ? ` ${ack.code}` : ''}` : (ack.code ?? 'error')
  return (
    <span className={`ssi-ack ssi-ack-${ack.status}`} data-testid="ssi-feed-ack" data-status={ack.status} title={ack.message ?? label}>
      {label} <span className="ssi-muted">{formatMs(ack.ms)}</span>
    </span>
  )
}

const ackColumn: GridColumn<FeedItem> = {
  id: 'ack',
  accessorFn: (e) => e.ack?.status ?? '',
  header: 'Ack · handler',
  meta: { width: 'minmax(7rem, 0.9fr)', mono: true },
  cell: ({ row }) => <AckCell item={row.original} />,
  enableSorting: false,
}

const detailColumn: GridColumn<FeedItem> = {
  id: 'detail',
  accessorFn: feedDetail,
  header: 'Detail',
  meta: { width: 'minmax(8rem, 2.5fr)', mono: true },
  cell: ({ getValue }) => <span className="ssi-muted" title={String(getValue())}>{String(getValue())}</span>,
  enableSorting: false,
}

const fullColumns = [timeColumn, typeColumn, sessionColumn, roomColumn, eventColumn, ackColumn, detailColumn]
const compactColumns = [timeColumn, typeColumn, roomColumn, eventColumn, ackColumn, detailColumn]
const itemId = (e: FeedItem) => String(e.key)
const itemAttributes = (e: FeedItem) => ({ 'data-type': e.type, 'data-sid': e.sid, 'data-event': e.event, 'data-room': e.room, 'data-row': e.id, 'data-ack': e.ack?.status })

/** Feed events, newest first, virtualised. */
export function FeedList({
  items,
  testId,
  empty,
  compact,
  selected,
  onSelect,
}: {
  items: FeedItem[]
  testId?: string
  empty?: string
  compact?: boolean
  selected?: number | undefined
  onSelect?: (item: FeedItem | undefined) => void
}) {
  const onRowClick = useCallback(
    (item: FeedItem) => onSelect?.(item.key === selected ? undefined : item),
    [onSelect, selected],
  )
  return (
    <DataGrid
      label="Live events"
      columns={compact ? compactColumns : fullColumns}
      data={items}
      getRowId={itemId}
      rowHeight={26}
      testId={testId}
      rowTestId="ssi-feed-item"
      rowAttributes={itemAttributes}
      selectedId={selected === undefined ? undefined : String(selected)}
      onRowClick={onSelect ? onRowClick : undefined}
      empty={empty}
    />
  )
}

const STATUS_TEXT: Record<FeedStatus, string> = {
  connecting: 'connecting…',
  open: 'live',
  reconnecting: 'reconnecting…',
  closed: 'closed',
}

export function FeedStatusBadge({ status }: { status: FeedStatus }) {
  return (
    <span className={`ssi-status ssi-status-${status}`} data-testid="ssi-feed-status" data-status={status}>
      <span className="ssi-status-dot" />
      {STATUS_TEXT[status]}
    </span>
  )
}

export function LiveFeed({
  items,
  pending,
  limit,
  status,
  filter,
  onFilter,
  paused,
  onPause,
  onClear,
  older,
}: {
  items: FeedItem[]
  /** Events received since the pause. */
  pending: number
  limit: number
  status: FeedStatus
  filter: FeedFilter
  onFilter: (filter: FeedFilter) => void
  paused: boolean
  onPause: (paused: boolean) => void
  onClear: () => void
  /** the server's history before these items: more to load, and how */
  older?: { more: boolean; loading: boolean; load: () => void }
}) {
  const { wall } = useInspector()
  const [selected, setSelected] = useState<FeedItem>()
  const search = useFeedSearch(wall)
  const [text, setText] = useState('')
  // A search runs on the server a moment after typing stops (or at once on Enter).
  const { run, query } = search
  useEffect(() => {
    if (text.trim() === query) return
    const timer = setTimeout(() => run(text), 400)
    return () => clearTimeout(timer)
  }, [text, query, run])
  const searching = search.query !== ''
  const source = searching ? search.rows : items
  const shown = useMemo(() => {
    const out: FeedItem[] = []
    // Search rows come newest first already; the live buffer is newest last.
    if (searching) {
      for (const e of source) if (matchesFeedFilter(e, filter)) out.push(e)
    } else {
      for (let i = source.length - 1; i >= 0; i--) if (matchesFeedFilter(source[i]!, filter)) out.push(source[i]!)
    }
    return out
  }, [source, searching, filter])

  const toggleType = (type: FeedEventType) => {
    const types = new Set(filter.types)
    if (types.has(type)) types.delete(type)
    else types.add(type)
    onFilter({ ...filter, types })
  }

  return (
    <div className="ssi-view ssi-feed">
      <div className="ssi-toolbar ssi-wrap">
        <div className="ssi-chips" role="group" aria-label="Event types">
          {FEED_EVENT_TYPES.map((t) => (
            <button
              type="button"
              key={t}
              className={`ssi-chip ssi-type-chip ssi-type-${t.replace(':', '-')}${filter.types.has(t) ? ' ssi-on' : ''}`}
              aria-pressed={filter.types.has(t)}
              onClick={() => toggleType(t)}
              data-testid={`ssi-feed-type-${t.replace(':', '-')}`}
            >
              {t}
            </button>
          ))}
        </div>
        <input
          className="ssi-input ssi-narrow"
          type="search"
          placeholder="event name"
          aria-label="Filter by event name"
          value={filter.event}
          onChange={(e) => onFilter({ ...filter, event: e.target.value })}
          data-testid="ssi-feed-filter-event"
        />
        <input
          className="ssi-input ssi-narrow"
          type="search"
          placeholder="session or room"
          aria-label="Filter by session or room"
          value={filter.target}
          onChange={(e) => onFilter({ ...filter, target: e.target.value })}
          data-testid="ssi-feed-filter-target"
        />
        <input
          className="ssi-input"
          type="search"
          placeholder="search history (payload, event, session)"
          aria-label="Search the feed history on the server"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') search.run(text)
          }}
          data-testid="ssi-feed-search"
        />
        <div className="ssi-spacer" />
        <button type="button" className={`ssi-button${paused ? ' ssi-primary' : ''}`} onClick={() => onPause(!paused)} data-testid="ssi-feed-pause" aria-pressed={paused}>
          {paused ? `Resume${pending > 0 ? ` (+${formatCount(pending)})` : ''}` : 'Pause'}
        </button>
        <button type="button" className="ssi-button" onClick={onClear} data-testid="ssi-feed-clear">
          Clear
        </button>
      </div>
      <div className="ssi-muted ssi-small ssi-feed-meta">
        <FeedStatusBadge status={status} />
        {searching ? (
          <span data-testid="ssi-feed-search-meta" data-loading={search.loading}>
            · {search.loading ? 'searching…' : `${formatCount(search.rows.length)} found`} for “{search.query}” in the server’s history (
            {formatCount(search.scanned)} entries read)
            {search.error ? ` · ${search.error}` : ''}
            {search.more && !search.loading ? (
              <button type="button" className="ssi-link" onClick={search.further} data-testid="ssi-feed-search-further">
                search further
              </button>
            ) : null}
          </span>
        ) : (
          <span>
            · showing <span data-testid="ssi-feed-shown">{shown.length}</span> of {items.length} (the last {limit} here; the server keeps 5 minutes)
            {paused ? (
              <span data-testid="ssi-feed-paused">
                {' '}
                · paused: rows stay put, <span data-testid="ssi-feed-pending">{pending}</span> new
              </span>
            ) : null}
            {older?.more ? (
              <button type="button" className="ssi-link" onClick={older.load} disabled={older.loading} data-testid="ssi-feed-older">
                {older.loading ? 'loading…' : 'load older'}
              </button>
            ) : null}
          </span>
        )}
      </div>
      <div
        className="ssi-grow-box"
        // Reading down the list pauses it: new rows would push the ones being read away.
        onScrollCapture={(e) => {
          if (!paused && !searching && (e.target as HTMLElement).scrollTop > 40) onPause(true)
        }}
      >
        <FeedList
          items={shown}
          testId="ssi-feed-list"
          empty={searching ? (search.loading ? 'Searching…' : 'Nothing in the history matches.') : items.length === 0 ? (status === 'open' ? 'Waiting for events…' : 'Connecting to the live feed…') : 'No event matches the filters.'}
          selected={selected?.key}
          onSelect={setSelected}
        />
      </div>
      {selected ? (
        <div className="ssi-feed-selected" data-testid="ssi-feed-selected">
          <div className="ssi-card-head">
            <h4>
              {selected.type} {selected.event ? <span className="ssi-mono">{selected.event}</span> : null}{' '}
              <span className="ssi-muted ssi-small">{new Date(selected.at).toLocaleString()}</span>
            </h4>
            <button type="button" className="ssi-button ssi-ghost" onClick={() => setSelected(undefined)} aria-label="Close event">
              ×
            </button>
          </div>
          <Json value={Object.fromEntries(Object.entries(selected).filter(([k]) => k !== 'key'))} />
        </div>
      ) : null}
    </div>
  )
}
