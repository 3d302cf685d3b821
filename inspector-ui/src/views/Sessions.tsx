import { useCallback, useDeferredValue, useState } from 'react'
import { DataGrid, type GridColumn } from '../components/DataGrid.js'
import { useInspector } from '../context.js'
import { userLabel, type FeedItem } from '../feed.js'
import { formatAgo, formatCount } from '../stats.js'
import type { SessionInfo, SessionSort } from '../types.js'
import { useSessionPages } from '../use-session-pages.js'
import { SessionDetail } from './SessionDetail.js'
import { HealthBadge, healthOf } from '../components/HealthBadge.js'

function Ago({ at }: { at: number | undefined }) {
  const { now } = useInspector()
  return <span title={at ? new Date(at).toLocaleString() : undefined}>{formatAgo(at, now)}</span>
}

const columns: GridColumn<SessionInfo>[] = [
  {
    id: 'health',
    accessorFn: (s) => healthOf(s),
    header: 'Health',
    meta: { width: '7.5rem' },
    cell: ({ row }) => <HealthBadge session={row.original} />,
    sortFn: 'text',
  },
  {
    id: 'id',
    accessorKey: 'id',
    header: 'Session',
    meta: { width: 'minmax(9rem, 1.4fr)', mono: true },
    sortFn: 'text',
  },
  {
    id: 'user',
    accessorFn: (s) => userLabel(s.user),
    header: 'User',
    meta: { width: 'minmax(7rem, 1fr)' },
    sortFn: 'alphanumeric',
    sortUndefined: 'last',
  },
  {
    id: 'transport',
    accessorFn: (s) => s.transport ?? '',
    header: 'Transport',
    meta: { width: '6.5rem' },
  },
  {
    id: 'instance',
    accessorFn: (s) => s.instance ?? '',
    header: 'Instance',
    meta: { width: '6.5rem', mono: true },
    cell: ({ row }) => <span title={row.original.address ? `from ${row.original.address}` : undefined}>{row.original.instance ?? '–'}</span>,
  },
  {
    id: 'connectedAt',
    accessorFn: (s) => s.connectedAt ?? 0,
    header: 'Since',
    meta: { width: '5rem', align: 'right' },
    cell: ({ row }) => <Ago at={row.original.connectedAt} />,
    sortFn: 'basic',
  },
  {
    id: 'lastSeen',
    accessorFn: (s) => s.lastSeen ?? 0,
    header: 'Seen',
    meta: { width: '4.5rem', align: 'right' },
    cell: ({ row }) => <Ago at={row.original.lastSeen} />,
    sortFn: 'basic',
    sortDescFirst: true,
  },
  {
    id: 'rooms',
    accessorFn: (s) => s.rooms.length,
    header: 'Rooms',
    meta: { width: 'minmax(6rem, 1fr)' },
    cell: ({ row }) => {
      const rooms = row.original.rooms
      if (rooms.length === 0) return <span className="ssi-muted">–</span>
      return <span title={rooms.join(', ')}>{rooms.length > 3 ? `${rooms.slice(0, 3).join(', ')} +${rooms.length - 3}` : rooms.join(', ')}</span>
    },
    sortFn: 'basic',
  },
  {
    id: 'queued',
    accessorKey: 'queued',
    header: 'Queued',
    meta: { width: '4.5rem', align: 'right' },
    cell: ({ row }) => (
      <span className={row.original.queued > 0 ? 'ssi-warn' : 'ssi-muted'}>{formatCount(row.original.queued)}</span>
    ),
    sortFn: 'basic',
    sortDescFirst: true,
  },
]

const sessionId = (s: SessionInfo) => s.id
const sessionAttributes = (s: SessionInfo) => ({ 'data-sid': s.id, 'data-connected': String(s.connected), 'data-health': healthOf(s) })
const sessionClass = (s: SessionInfo) => (s.connected ? undefined : 'ssi-dim')

export function Sessions({
  tick,
  search,
  onSearch,
  selected,
  onSelect,
  feed,
}: {
  /** changes on every refresh: the loaded rows are read again */
  tick: unknown
  search: string
  onSearch: (value: string) => void
  selected: string | undefined
  onSelect: (id: string | undefined) => void
  feed: FeedItem[]
}) {
  const { wall } = useInspector()
  const deferredSearch = useDeferredValue(search)
  const [sort, setSort] = useState<SessionSort>('recent')
  const pages = useSessionPages(wall, deferredSearch, sort, tick)
  const { sessions, total } = pages
  const searching = deferredSearch.trim() !== ''
  const onRowClick = useCallback((s: SessionInfo) => onSelect(s.id === selected ? undefined : s.id), [onSelect, selected])

  return (
    <div className={`ssi-view ssi-split${selected ? ' ssi-has-detail' : ''}`}>
      <div className="ssi-split-main">
        <div className="ssi-toolbar">
          <input
            className="ssi-input ssi-search"
            type="search"
            placeholder="Search id, user, state, room, address, user agent, instance…"
            aria-label="Search sessions"
            value={search}
            onChange={(e) => onSearch(e.target.value)}
            data-testid="ssi-session-search"
          />
          <select className="ssi-input" aria-label="Order" value={sort} onChange={(e) => setSort(e.target.value as SessionSort)} data-testid="ssi-session-sort">
            <option value="recent">Last seen, newest first</option>
            <option value="seen">Last seen, oldest first</option>
          </select>
          <span className="ssi-muted ssi-small" data-testid="ssi-session-count">
            {total === undefined
              ? 'loading…'
              : searching
                ? `${formatCount(sessions.length)} found · searched ${formatCount(Math.min(pages.scanned, total))} of ${formatCount(total)} sessions`
                : `${formatCount(sessions.length)} of ${formatCount(total)} sessions`}
          </span>
          {pages.next !== null && total !== undefined ? (
            <button type="button" className="ssi-button" disabled={pages.loading} onClick={pages.more} data-testid="ssi-session-more">
              {searching ? 'Search further' : 'Load more'}
            </button>
          ) : null}
        </div>
        <DataGrid
          label="Sessions"
          columns={columns}
          data={sessions}
          getRowId={sessionId}
          onRowClick={onRowClick}
          selectedId={selected}
          testId="ssi-sessions-grid"
          rowTestId="ssi-session-row"
          rowAttributes={sessionAttributes}
          rowClassName={sessionClass}
          empty={pages.loading ? 'Loading…' : searching ? 'No session matches.' : 'No sessions.'}
        />
      </div>
      {selected ? (
        <div className="ssi-split-side">
          <SessionDetail id={selected} onClose={() => onSelect(undefined)} feed={feed} />
        </div>
      ) : null}
    </div>
  )
}
