import { useDeferredValue, useMemo, useState } from 'react'
import { DataGrid, type GridColumn } from '../components/DataGrid.js'
import { EmitForm } from '../components/EmitForm.js'
import { useInspector } from '../context.js'
import { userLabel } from '../feed.js'
import { formatCount } from '../stats.js'
import type { RoomInfo, SessionInfo, Snapshot } from '../types.js'

interface RoomRow extends RoomInfo {
  connected: number
}

const roomColumns: GridColumn<RoomRow>[] = [
  { id: 'name', accessorKey: 'name', header: 'Room', meta: { width: 'minmax(8rem, 2fr)', mono: true }, sortFn: 'alphanumeric' },
  {
    id: 'members',
    accessorFn: (r) => r.members.length,
    header: 'Members',
    meta: { width: '6rem', align: 'right' },
    sortFn: 'basic',
    sortDescFirst: true,
    cell: ({ getValue }) => formatCount(Number(getValue())),
  },
  {
    id: 'connected',
    accessorKey: 'connected',
    header: 'Connected',
    meta: { width: '6.5rem', align: 'right' },
    sortFn: 'basic',
    sortDescFirst: true,
    cell: ({ getValue }) => formatCount(Number(getValue())),
  },
]
const roomId = (r: RoomRow) => r.name
const LARGEST = [{ id: 'members', desc: true }]
const roomAttributes = (r: RoomRow) => ({ 'data-room': r.name, 'data-members': String(r.members.length) })

interface MemberRow {
  id: string
  session: SessionInfo | undefined
}

const memberColumns: GridColumn<MemberRow>[] = [
  {
    id: 'dot',
    accessorFn: (m) => (m.session?.connected ? 1 : 0),
    header: '',
    meta: { width: '28px' },
    cell: ({ row }) => (
      <span className={`ssi-dot ${row.original.session?.connected ? 'ssi-dot-on' : 'ssi-dot-off'}`} />
    ),
  },
  { id: 'id', accessorKey: 'id', header: 'Session', meta: { width: 'minmax(8rem, 1.4fr)', mono: true }, sortFn: 'text' },
  {
    id: 'user',
    accessorFn: (m) => userLabel(m.session?.user),
    header: 'User',
    meta: { width: 'minmax(6rem, 1fr)' },
    sortFn: 'alphanumeric',
  },
]
const memberId = (m: MemberRow) => m.id
const memberAttributes = (m: MemberRow) => ({ 'data-sid': m.id })

export function Rooms({
  snapshot,
  selected,
  onSelect,
}: {
  snapshot: Snapshot | undefined
  selected: string | undefined
  onSelect: (name: string | undefined) => void
}) {
  const { readonly, openSession } = useInspector()
  const [search, setSearch] = useState('')
  const deferred = useDeferredValue(search)

  const byId = useMemo(() => new Map((snapshot?.sessions ?? []).map((s) => [s.id, s])), [snapshot])
  const rooms = useMemo<RoomRow[]>(() => {
    const q = deferred.trim().toLowerCase()
    return (snapshot?.rooms ?? [])
      .filter((r) => !q || r.name.toLowerCase().includes(q))
      .map((r) => ({ ...r, connected: r.members.reduce((n, id) => n + (byId.get(id)?.connected ? 1 : 0), 0) }))
  }, [snapshot, byId, deferred])
  const room = selected ? snapshot?.rooms.find((r) => r.name === selected) : undefined
  const members = useMemo<MemberRow[]>(() => (room ? room.members.map((id) => ({ id, session: byId.get(id) })) : []), [room, byId])

  return (
    <div className={`ssi-view ssi-split${selected ? ' ssi-has-detail' : ''}`}>
      <div className="ssi-split-main">
        <div className="ssi-toolbar">
          <input
            className="ssi-input ssi-search"
            type="search"
            placeholder="Search rooms…"
            aria-label="Search rooms"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            data-testid="ssi-room-search"
          />
          <span className="ssi-muted ssi-small">{formatCount(rooms.length)} rooms</span>
        </div>
        <DataGrid
          label="Rooms"
          columns={roomColumns}
          data={rooms}
          getRowId={roomId}
          onRowClick={(r) => onSelect(r.name === selected ? undefined : r.name)}
          selectedId={selected}
          testId="ssi-rooms-grid"
          rowTestId="ssi-room-row"
          rowAttributes={roomAttributes}
          initialSorting={LARGEST}
          empty={snapshot ? 'No rooms.' : 'Loading…'}
        />
        {!readonly ? (
          <div className="ssi-card ssi-broadcast">
            <EmitForm to={{ all: true }} label="Emit to everyone" />
          </div>
        ) : null}
      </div>
      {selected ? (
        <div className="ssi-split-side">
          <section className="ssi-detail" data-testid="ssi-room-detail" data-room={selected} aria-label={`Room ${selected}`}>
            <header className="ssi-detail-head">
              <button type="button" className="ssi-button ssi-ghost" onClick={() => onSelect(undefined)} aria-label="Close room">
                ←
              </button>
              <div className="ssi-detail-title">
                <div className="ssi-mono ssi-ellipsis">{selected}</div>
                <div className="ssi-muted ssi-small">
                  {room ? `${formatCount(room.members.length)} members` : 'This room is empty or gone.'}
                </div>
              </div>
            </header>
            {!readonly && room ? (
              <div className="ssi-section">
                <EmitForm to={{ room: selected }} label={`Emit to room “${selected}”`} />
              </div>
            ) : null}
            <div className="ssi-section ssi-grow">
              <h4>Members</h4>
              <div className="ssi-grow-box" data-testid="ssi-room-members">
                <DataGrid
                  label="Members"
                  columns={memberColumns}
                  data={members}
                  getRowId={memberId}
                  onRowClick={(m) => openSession(m.id)}
                  rowTestId="ssi-member-row"
                  rowAttributes={memberAttributes}
                  empty="No members."
                />
              </div>
            </div>
          </section>
        </div>
      ) : null}
    </div>
  )
}
