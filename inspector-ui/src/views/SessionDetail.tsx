import { useCallback, useEffect, useMemo, useState } from 'react'
import { HealthBadge } from '../components/HealthBadge.js'
import { DataGrid, type GridColumn } from '../components/DataGrid.js'
import { EmitForm } from '../components/EmitForm.js'
import { Json } from '../components/Json.js'
import { useInspector } from '../context.js'
import { concernsSession, previewData, userLabel, type FeedItem } from '../feed.js'
import { formatAgo } from '../stats.js'
import { InspectorError, type QueuedMessage, type SessionDetail as Detail } from '../types.js'
import { FeedList } from './LiveFeed.js'

const RECENT = 100
const POLL_MS = 2000

const queuedColumns: GridColumn<QueuedMessage>[] = [
  { id: 'log', accessorKey: 'log', header: 'Log', meta: { width: '7rem', mono: true } },
  { id: 'seq', accessorKey: 'seq', header: 'Seq', meta: { width: '4rem', align: 'right' }, sortFn: 'basic' },
  { id: 'event', accessorKey: 'event', header: 'Event', meta: { width: 'minmax(6rem, 1fr)', mono: true } },
  {
    id: 'data',
    accessorFn: (m) => previewData(m.data),
    header: 'Data',
    meta: { width: 'minmax(8rem, 2fr)', mono: true },
    enableSorting: false,
    cell: ({ getValue }) => <span title={String(getValue())}>{String(getValue())}</span>,
  },
]
const queuedId = (m: QueuedMessage) => `${m.log}#${m.seq}`

function DisconnectButton({ sid, onDone }: { sid: string; onDone: () => void }) {
  const { wall, nudge } = useInspector()
  const [armed, setArmed] = useState(false)
  const [error, setError] = useState<string>()
  useEffect(() => {
    if (!armed) return
    const t = setTimeout(() => setArmed(false), 4000)
    return () => clearTimeout(t)
  }, [armed])
  const run = async () => {
    if (!armed) return setArmed(true)
    setArmed(false)
    try {
      await wall.send({ type: 'disconnect', sid })
      setError(undefined)
      nudge()
      onDone()
    } catch (e) {
      setError((e as Error).message)
    }
  }
  return (
    <div className="ssi-actions-row">
      <button type="button" className={`ssi-button ssi-danger${armed ? ' ssi-armed' : ''}`} onClick={run} data-testid="ssi-disconnect">
        {armed ? 'Click again to disconnect' : 'Disconnect'}
      </button>
      {error ? <span className="ssi-bad ssi-small">{error}</span> : null}
    </div>
  )
}

export function SessionDetail({ id, onClose, feed }: { id: string; onClose: () => void; feed: FeedItem[] }) {
  const { wall, readonly, now, openRoom } = useInspector()
  const [detail, setDetail] = useState<Detail>()
  const [error, setError] = useState<InspectorError>()

  const load = useCallback(async () => {
    try {
      const next = await wall.send({ type: 'session', id })
      setDetail(next)
      setError(undefined)
    } catch (e) {
      setError(e instanceof InspectorError ? e : new InspectorError('ERROR', String((e as Error)?.message ?? e)))
    }
  }, [wall, id])

  useEffect(() => {
    setDetail(undefined)
    setError(undefined)
    void load()
    const t = setInterval(() => void load(), POLL_MS)
    return () => clearInterval(t)
  }, [load])

  const rooms = detail?.rooms ?? []
  const recent = useMemo(() => {
    const out: FeedItem[] = []
    for (let i = feed.length - 1; i >= 0 && out.length < RECENT; i--) {
      if (concernsSession(feed[i]!, id, rooms)) out.push(feed[i]!)
    }
    return out
    // rooms as a string so a new array with the same rooms does not recompute
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [feed, id, rooms.join('\n')])

  const gone = error?.code === 'SESSION_NOT_FOUND' || error?.status === 404

  return (
    <section className="ssi-detail" data-testid="ssi-session-detail" data-sid={id} aria-label={`Session ${id}`}>
      <header className="ssi-detail-head">
        <button type="button" className="ssi-button ssi-ghost" onClick={onClose} aria-label="Close session" data-testid="ssi-detail-close">
          ←
        </button>
        <div className="ssi-detail-title">
          <div className="ssi-mono ssi-ellipsis" title={id}>
            {detail ? <span className={`ssi-dot ${detail.connected ? 'ssi-dot-on' : 'ssi-dot-off'}`} /> : null} {id}
          </div>
          {detail ? (
            <div className="ssi-muted ssi-small">
              <HealthBadge session={detail} /> {userLabel(detail.user) || 'anonymous'} · {detail.transport ?? '?'} · connected {formatAgo(detail.connectedAt, now)} ago ·
              seen {formatAgo(detail.lastSeen, now)}
            </div>
          ) : null}
        </div>
      </header>

      {gone ? (
        <div className="ssi-notice" data-testid="ssi-session-gone">
          This session is gone (disconnected and swept).
        </div>
      ) : error ? (
        <div className="ssi-notice ssi-bad">{error.message}</div>
      ) : !detail ? (
        <div className="ssi-muted ssi-small">Loading…</div>
      ) : (
        <>
          <div className="ssi-section" data-testid="ssi-session-errors">
            <h4>
              Last errors <span className="ssi-muted">({detail.errors?.length ?? 0})</span>
            </h4>
            {!detail.errors?.length ? (
              <span className="ssi-muted ssi-small">none in the last ten minutes</span>
            ) : (
              <table className="ssi-table ssi-small">
                <tbody>
                  {detail.errors.map((e, i) => (
                    <tr key={i} data-testid="ssi-session-error" data-kind={e.kind}>
                      <td className="ssi-muted">{formatAgo(e.at, now)}</td>
                      <td className="ssi-bad">{e.kind}</td>
                      <td className="ssi-mono">{e.code}</td>
                      <td className="ssi-mono">{e.event ?? ''}</td>
                      <td className="ssi-ellipsis" title={e.message}>{e.message ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div className="ssi-section" data-testid="ssi-session-client">
            <h4>Client</h4>
            <table className="ssi-table ssi-small">
              <tbody>
                <tr>
                  <td className="ssi-muted">address</td>
                  <td className="ssi-mono" data-testid="ssi-session-address">{detail.address ?? 'not reported'}</td>
                </tr>
                <tr>
                  <td className="ssi-muted">user agent</td>
                  <td className="ssi-mono ssi-break" data-testid="ssi-session-ua">{detail.userAgent ?? 'not reported'}</td>
                </tr>
                <tr>
                  <td className="ssi-muted">instance</td>
                  <td className="ssi-mono" data-testid="ssi-session-instance" title="the instance serving its stream (see Instances on the overview)">
                    {detail.instance ?? 'no stream yet'}
                  </td>
                </tr>
              </tbody>
            </table>
          </div>
          <div className="ssi-section">
            <h4>Rooms</h4>
            <div className="ssi-chips" data-testid="ssi-session-rooms">
              {detail.rooms.length === 0 ? <span className="ssi-muted ssi-small">none</span> : null}
              {detail.rooms.map((r) => (
                <button type="button" key={r} className="ssi-chip" onClick={() => openRoom(r)}>
                  {r}
                </button>
              ))}
            </div>
          </div>
          <div className="ssi-section ssi-two">
            <div>
              <h4>User</h4>
              <Json value={detail.user} testId="ssi-session-user" />
            </div>
            <div>
              <h4>State</h4>
              <Json value={detail.state} testId="ssi-session-state" empty="no state" />
            </div>
          </div>
          <div className="ssi-section">
            <h4>
              Queued messages <span className="ssi-muted">({detail.queued})</span>
            </h4>
            {detail.messages.length === 0 ? (
              <div className="ssi-muted ssi-small" data-testid="ssi-session-queued">nothing waiting</div>
            ) : (
              <div data-testid="ssi-session-queued">
                <DataGrid
                  label="Queued messages"
                  columns={queuedColumns}
                  data={detail.messages}
                  getRowId={queuedId}
                  height={Math.min(detail.messages.length, 6) * 28 + 32}
                  rowHeight={28}
                  rowTestId="ssi-queued-row"
                />
              </div>
            )}
          </div>
          {!readonly ? (
            <div className="ssi-section">
              <h4>Actions</h4>
              <EmitForm to={{ sid: id }} label="Emit to this session" />
              <DisconnectButton sid={id} onDone={() => void load()} />
            </div>
          ) : null}
        </>
      )}
      <div className="ssi-section ssi-grow">
        <h4>
          Live events <span className="ssi-muted">({recent.length})</span>
        </h4>
        <FeedList items={recent} testId="ssi-session-events" empty="No live events for this session yet." compact />
      </div>
    </section>
  )
}
