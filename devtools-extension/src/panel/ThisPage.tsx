import { useEffect, useMemo, useState } from 'react'
import { formatPercentile, PERCENTILE_NOTE } from '@socket-serve/inspector'
import type { Connection, FrameRow } from '../relay/page-model.js'
import type { Direction } from './frame-index.js'
import { FrameHeader, FrameList } from './FrameList.js'
import { clock } from './format.js'
import type { PanelStore } from './store.js'

export function ThisPage({ store, version }: { store: PanelStore; version: number }) {
  const model = store.model
  const [filter, setFilter] = useState('')
  const [direction, setDirection] = useState<Direction>('all')
  const [showControl, setShowControl] = useState(true)
  /** the row whose payload is shown: kept even once the ring has evicted it */
  const [selectedRow, setSelectedRow] = useState<FrameRow>()

  // The frame list is an index over the model's ring: a changed filter re-scans it a bounded step
  // per frame, and asks for the next frame until it has caught up.
  const index = store.frames
  index.setQuery({ text: filter, direction, control: showControl })
  const caughtUp = index.step()
  useEffect(() => {
    if (caughtUp) return
    const id = requestAnimationFrame(() => store.poke())
    return () => cancelAnimationFrame(id)
  })

  const exportJson = () => {
    const blob = new Blob([JSON.stringify(model, null, 2)], { type: 'application/json' })
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = `socket-serve-${new Date().toISOString().replace(/[:.]/g, '-')}.json`
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
  }

  return (
    <div className="page-view">
      <div className="toolbar">
        <button
          type="button"
          className={model.paused ? 'primary' : ''}
          onClick={() => store.update((s) => (s.model.paused = !s.model.paused))}
          data-testid="pause"
          aria-pressed={model.paused}
          title={model.paused ? 'Record frames and acks again' : 'Stop recording frames and acks (states are still followed)'}
        >
          {model.paused ? '● Record' : '■ Pause'}
        </button>
        <button type="button" onClick={() => store.update((s) => s.model.clear())} data-testid="clear" title="Clear frames, counts and problems">
          ⌀ Clear
        </button>
        <button type="button" onClick={exportJson} data-testid="export" title="Download everything recorded as JSON">
          ⇩ Export
        </button>
        <input
          type="search"
          placeholder="Filter by event name"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="filter"
          aria-label="Filter by event name"
        />
        <select value={direction} onChange={(e) => setDirection(e.target.value as Direction)} data-testid="direction" aria-label="Direction">
          <option value="all">↕ all</option>
          <option value="out">↑ sent</option>
          <option value="in">↓ received</option>
        </select>
        <label className="small">
          <input type="checkbox" checked={showControl} onChange={(e) => setShowControl(e.target.checked)} /> control frames
        </label>
        <span className="spacer" />
        {model.paused && model.skipped ? <span className="badge warn">{model.skipped} not recorded</span> : null}
        <span className="muted small" data-testid="frame-total" data-total={model.recorded} title="frames and messages recorded since the panel opened (or Clear); the list keeps the newest 10,000">
          {model.recorded.toLocaleString('en-US')} frames
        </span>
        {model.dropped ? (
          <span className="badge warn" title="lost before the panel saw them (buffers are bounded)" data-testid="dropped" data-dropped={model.dropped}>
            {model.dropped} dropped
          </span>
        ) : null}
      </div>
      <div className="columns">
        <aside className="side">
          <Connections connections={[...model.connections.values()]} />
          <EventCounts store={store} onPick={(event) => setFilter(event)} />
          <AckLatency store={store} />
          <Problems store={store} />
        </aside>
        <section className="frames">
          <FrameHeader index={index} />
          <FrameList index={index} version={version} selected={selectedRow?.key} onSelect={setSelectedRow} />
          <Payload row={selectedRow} />
        </section>
      </div>
    </div>
  )
}

// ---- connections -------------------------------------------------------------

const STATE_CLASS: Record<string, string> = { connected: 'ok', connecting: 'idle', disconnected: 'bad' }

function Connections({ connections }: { connections: Connection[] }) {
  return (
    <section className="card">
      <h3>
        Connections <span className="count">{connections.length}</span>
      </h3>
      {connections.length === 0 ? <p className="muted small">No socket has reported yet.</p> : null}
      {connections.map((c) => (
        <div key={c.socket} className="connection" data-testid="connection" data-socket={c.socket} data-state={c.state} data-sid={c.sid ?? ''}>
          <div className="row">
            <span className={`pill ${STATE_CLASS[c.state] ?? ''}`}>{c.state}</span>
            <span className="mono small ellipsis" title={c.url}>
              {c.endpoint ?? `socket ${c.socket}`}
            </span>
          </div>
          <div className="row small muted">
            <span>
              sid <code data-testid="connection-sid">{c.sid ?? '–'}</code>
            </span>
            <span>{c.transport ?? '–'}</span>
            <span data-testid="reconnects">
              {c.reconnects} reconnect{c.reconnects === 1 ? '' : 's'}
            </span>
          </div>
          <Timeline connection={c} />
        </div>
      ))}
    </section>
  )
}

function Timeline({ connection }: { connection: Connection }) {
  const now = useNow(1000)
  const t = connection.timeline
  if (!t.length) return null
  const start = t[0].time
  const span = Math.max(1, now - start)
  return (
    <div className="timeline" title="state over time (hover a segment)" data-testid="timeline">
      {t.map((s, i) => {
        const end = i + 1 < t.length ? t[i + 1].time : now
        const width = Math.max(0.5, ((end - s.time) / span) * 100)
        return (
          <span
            key={i}
            className={`seg ${STATE_CLASS[s.to] ?? ''}`}
            style={{ width: `${width}%` }}
            title={`${clock(s.time)} ${s.from} → ${s.to}${s.transport ? ` (${s.transport})` : ''}${s.sid ? ` sid ${s.sid}` : ''}`}
          />
        )
      })}
    </div>
  )
}

// ---- counts, acks, problems ----------------------------------------------------

function EventCounts({ store, onPick }: { store: PanelStore; onPick(event: string): void }) {
  const counts = store.model.eventCounts()
  return (
    <section className="card">
      <h3>Events</h3>
      <table className="grid" data-testid="event-counts">
        <thead>
          <tr>
            <th>event</th>
            <th className="num" title="messages the page sent">↑ sent</th>
            <th className="num" title="frames the page received">↓ recv</th>
            <th className="num">bytes</th>
          </tr>
        </thead>
        <tbody>
          {counts.map((c) => (
            <tr key={c.event} data-testid="event-count" data-event={c.event} data-sent={c.sent} data-received={c.received} onClick={() => onPick(c.event)} className="clickable">
              <td className="mono">{c.event}</td>
              <td className="num">{c.sent}</td>
              <td className="num">{c.received}</td>
              <td className="num muted">{bytes(c.bytesIn + c.bytesOut)}</td>
            </tr>
          ))}
          {counts.length === 0 ? <EmptyRow columns={4} text="nothing yet" /> : null}
        </tbody>
      </table>
    </section>
  )
}

/** The one row of a table that has nothing to show yet. */
function EmptyRow({ columns, text }: { columns: number; text: string }) {
  return (
    <tr>
      <td colSpan={columns} className="muted small">
        {text}
      </td>
    </tr>
  )
}

function AckLatency({ store }: { store: PanelStore }) {
  const stats = store.model.ackStats()
  return (
    <section className="card">
      <h3 title={PERCENTILE_NOTE}>Ack latency · round trip as this page saw it (the Server view shows handler time)</h3>
      <table className="grid" data-testid="ack-stats">
        <thead>
          <tr>
            <th>event</th>
            <th className="num">n</th>
            <th className="num">p50</th>
            <th className="num">p95</th>
            <th className="num">max</th>
          </tr>
        </thead>
        <tbody>
          {stats.map((a) => (
            <tr key={`${a.direction}:${a.event}`} data-testid="ack-stat" data-event={a.event} data-direction={a.direction} data-count={a.count}>
              <td className="mono" title={a.direction === 'client' ? 'the page emitted, the server acked' : 'the server emitted with ack, the page answered'}>
                {a.direction === 'client' ? '↑' : '↓'} {a.event}
                {a.errors ? <span className="badge warn">{a.errors} failed</span> : null}
              </td>
              <td className="num">{a.count}</td>
              <td className="num">{formatPercentile(a.p50)}</td>
              <td className="num">{formatPercentile(a.p95)}</td>
              <td className="num">{ms(a.max)}</td>
            </tr>
          ))}
          {stats.length === 0 ? <EmptyRow columns={5} text="no acks yet" /> : null}
        </tbody>
      </table>
    </section>
  )
}

function Problems({ store }: { store: PanelStore }) {
  const problems = store.model.problems
  return (
    <section className="card">
      <h3>
        Reconnects &amp; errors <span className="count">{problems.length}</span>
      </h3>
      {problems.length === 0 ? <p className="muted small">None.</p> : null}
      <ul className="problems" data-testid="problems">
        {problems
          .slice(-50)
          .reverse()
          .map((p, i) => (
            <li key={i} className={p.kind} data-kind={p.kind}>
              <time>{clock(p.time)}</time> <span className="muted">#{p.socket}</span> {p.message}
            </li>
          ))}
      </ul>
    </section>
  )
}

// ---- frames --------------------------------------------------------------------

function Payload({ row }: { row?: FrameRow }) {
  const text = useMemo(() => (row ? json(row.data) : ''), [row])
  if (!row) return <div className="payload muted small">Select a frame to see its payload.</div>
  return (
    <div className="payload" data-testid="payload">
      <div className="row small">
        <b>{row.direction === 'in' ? '↓ received' : '↑ sent'}</b>
        <span className="mono">{row.event}</span>
        <span className="muted">{new Date(row.time).toISOString()}</span>
        {row.transport ? <span className="muted">{row.transport}</span> : null}
        {row.id !== undefined ? <span className="muted mono">id {row.id}</span> : null}
        <span className="spacer" />
        <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>
          Copy
        </button>
      </div>
      <pre>{row.direction === 'out' && row.data === undefined ? '(the client SDK does not report outgoing payloads)' : text}</pre>
    </div>
  )
}

// ---- formatting ------------------------------------------------------------------

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now)
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}


function ms(v: number): string {
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`
}

function json(value: unknown): string {
  if (value === undefined) return 'undefined'
  try {
    return JSON.stringify(value, null, 2)
  } catch {
    return String(value)
  }
}
