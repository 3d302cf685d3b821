import { useEffect, useMemo, useState } from 'react'
import { useInspector } from '../context.js'
import { TimeChart } from '../components/Chart.js'
import { DataGrid } from '../components/DataGrid.js'
import { ackColumns, ackKey, MEASURES } from './AckLatency.js'
import { InstancesCards } from './Instances.js'
import { formatCount, formatPercentile, latestRate, PERCENTILE_NOTE, rateSeries, summarizeAcks } from '../stats.js'
import type { AdminAction, ErrorStat, Metrics, Snapshot } from '../types.js'
import type { InspectorTab } from '../context.js'

const RATE_SERIES = [
  { label: 'in /s', color: '--ssi-c-in' },
  { label: 'out /s', color: '--ssi-c-out' },
]

const formatRate = (v: number) => (v >= 100 ? formatCount(v) : String(Number(v.toFixed(1))))

const KIND: Record<ErrorStat['kind'], string> = {
  handler: 'handler error',
  'handler-timeout': 'handler never acked',
  'ack-timeout': 'client ack timed out',
  refused: 'request refused',
}

/** What an error line is counted for: an event, a room, a route. */
const scopeOf = (e: ErrorStat) =>
  e.event !== undefined ? `event ${e.event}` : e.room !== undefined ? `room ${e.room}` : e.route !== undefined ? `route ${e.route}` : 'all'

function Errors({ errors, bucketSeconds }: { errors: ErrorStat[]; bucketSeconds: number }) {
  const totals = errors.filter((e) => scopeOf(e) === 'all').sort((a, b) => b.count - a.count)
  const scoped = errors.filter((e) => scopeOf(e) !== 'all').sort((a, b) => b.count - a.count).slice(0, 12)
  return (
    <div className="ssi-card" data-testid="ssi-errors">
      <div className="ssi-card-head">
        <h3>Errors</h3>
        <span className="ssi-muted ssi-small">last 5 min · rate over complete {bucketSeconds} s buckets</span>
      </div>
      {totals.length === 0 ? (
        <div className="ssi-muted ssi-small" data-testid="ssi-errors-none">No errors in the last five minutes.</div>
      ) : (
        <table className="ssi-table ssi-small">
          <thead>
            <tr>
              <th>what</th>
              <th>code</th>
              <th>for</th>
              <th className="ssi-right">count</th>
              <th className="ssi-right">/min</th>
            </tr>
          </thead>
          <tbody>
            {[...totals, ...scoped].map((e) => (
              <tr key={`${e.kind}|${e.code}|${scopeOf(e)}`} data-testid="ssi-error-row" data-kind={e.kind} data-scope={scopeOf(e)}>
                <td className="ssi-bad">{KIND[e.kind]}</td>
                <td className="ssi-mono">{e.code}</td>
                <td className="ssi-mono">{scopeOf(e)}</td>
                <td className="ssi-right">{formatCount(e.count)}</td>
                <td className="ssi-right">{formatRate(e.rate * 60)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

/** The admin action log (who, what, when, reach), read with each refresh. */
function AdminActions({ tick }: { tick: unknown }) {
  const { wall } = useInspector()
  const [actions, setActions] = useState<AdminAction[]>()
  useEffect(() => {
    let live = true
    wall.send({ type: 'actions' }).then(
      (r) => live && setActions(r.actions),
      () => live && setActions((a) => a ?? []),
    )
    return () => {
      live = false
    }
  }, [wall, tick])
  return (
    <div className="ssi-card" data-testid="ssi-admin-actions">
      <div className="ssi-card-head">
        <h3>Admin actions</h3>
        <span className="ssi-muted ssi-small">last 200, all instances</span>
      </div>
      {actions?.length ? (
        <table className="ssi-table ssi-small">
          <tbody>
            {actions.slice(0, 20).map((a, i) => (
              <tr key={`${a.at}-${i}`} data-testid="ssi-admin-action">
                <td title={new Date(a.at).toISOString()}>{new Date(a.at).toLocaleTimeString()}</td>
                <td className="ssi-mono">{a.by}</td>
                <td>{a.action}{a.event ? ` “${a.event}”` : ''}</td>
                <td className="ssi-mono">{a.target}</td>
                <td>{formatCount(a.sessions)} session{a.sessions === 1 ? '' : 's'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="ssi-muted ssi-small">{actions ? 'None yet.' : 'Loading…'}</p>
      )}
    </div>
  )
}

function Count({ label, value, testId, hint }: { label: string; value: number | undefined; testId: string; hint?: string }) {
  return (
    <div className="ssi-card ssi-count">
      <div className="ssi-count-label">{label}</div>
      <div className="ssi-count-value" data-testid={testId} data-value={value ?? ''} title={value === undefined ? undefined : String(value)}>
        {value === undefined ? '–' : formatCount(value)}
      </div>
      {hint ? <div className="ssi-count-hint">{hint}</div> : null}
    </div>
  )
}

export function Overview({
  snapshot,
  metrics,
  onTab,
}: {
  snapshot: Snapshot | undefined
  metrics: Metrics | undefined
  onTab: (tab: InspectorTab) => void
}) {
  const totals = snapshot?.totals
  const series = useMemo(
    () => (metrics ? rateSeries(metrics.rates, metrics.bucketSeconds) : ([[], [], []] as [number[], number[], number[]])),
    [metrics],
  )
  const rate = metrics ? latestRate(metrics.rates, metrics.bucketSeconds) : undefined
  const acks = useMemo(() => (metrics ? summarizeAcks(metrics.acks.filter((a) => a.direction === 'client')) : undefined), [metrics])
  const roundTrips = useMemo(() => (metrics ? summarizeAcks(metrics.acks.filter((a) => a.direction === 'server')) : undefined), [metrics])
  const failed = metrics ? metrics.acks.reduce((n, a) => n + (a.failed ?? 0), 0) : 0
  const topAcks = useMemo(
    () => (metrics ? [...metrics.acks].sort((a, b) => b.count - a.count).slice(0, 5) : []),
    [metrics],
  )
  const listed = totals ? (totals.listed ?? totals.sessions) : 0
  const disconnected = totals ? listed - totals.connected : undefined
  // The summary reads a bounded sample (the most recently seen sessions); say so when it is one.
  const sampled = totals !== undefined && listed < totals.sessions

  return (
    <div className="ssi-view ssi-overview">
      <div className="ssi-counts">
        <Count label="Sessions" value={totals?.sessions} testId="ssi-count-sessions" />
        <Count
          label="Connected"
          value={totals?.connected}
          testId="ssi-count-connected"
          hint={disconnected ? `${formatCount(disconnected)} idle` : undefined}
        />
        <Count label="Rooms" value={totals?.rooms} testId="ssi-count-rooms" />
        <Count label="Queued" value={totals?.queued} testId="ssi-count-queued" hint="undelivered messages" />
      </div>
      {sampled ? (
        <p className="ssi-muted ssi-small" data-testid="ssi-count-sample">
          Sessions is exact; connected, rooms and queued count the {formatCount(listed)} most recently seen sessions.
        </p>
      ) : null}

      <div className="ssi-card">
        <div className="ssi-card-head">
          <h3>Messages</h3>
          <span className="ssi-muted ssi-small">
            {rate ? (
              <>
                last complete {metrics?.bucketSeconds} s: <b data-testid="ssi-rate-in">{formatRate(rate.in)}</b> in/s ·{' '}
                <b data-testid="ssi-rate-out">{formatRate(rate.out)}</b> out/s ·{' '}
                <b data-testid="ssi-rate-errors" className={rate.errors > 0 ? 'ssi-bad' : undefined}>{formatRate(rate.errors)}</b> errors/s · last 5 min, all instances
              </>
            ) : (
              'loading…'
            )}
          </span>
        </div>
        <TimeChart data={series} series={RATE_SERIES} height={170} testId="ssi-rate-chart" label="Messages per second, in and out" yFormat={formatRate} />
      </div>

      {metrics ? <Errors errors={metrics.errors ?? []} bucketSeconds={metrics.bucketSeconds} /> : null}

      <InstancesCards tick={snapshot?.time} />

      <div className="ssi-card" data-testid="ssi-ack-summary">
        <div className="ssi-card-head">
          <h3>Ack latency</h3>
          <span className="ssi-muted ssi-small" title={PERCENTILE_NOTE}>
            {MEASURES.client} (client emits) · {MEASURES.server} (server emitWithAck) · percentiles are bucket upper bounds
          </span>
          <button className="ssi-link" type="button" onClick={() => onTab('acks')}>
            details →
          </button>
        </div>
        {(acks && acks.count > 0) || (roundTrips && roundTrips.count > 0) ? (
          <>
            <div className="ssi-pcts" data-testid="ssi-ack-handler">
              <div>
                <span className="ssi-muted">{MEASURES.client}</span> <b data-testid="ssi-ack-count">{formatCount(acks?.count ?? 0)}</b>
              </div>
              <div>
                <span className="ssi-muted">p50</span> <b data-testid="ssi-ack-p50">{formatPercentile(acks?.p50)}</b>
              </div>
              <div>
                <span className="ssi-muted">p95</span> <b data-testid="ssi-ack-p95">{formatPercentile(acks?.p95)}</b>
              </div>
              <div>
                <span className="ssi-muted">p99</span> <b data-testid="ssi-ack-p99">{formatPercentile(acks?.p99)}</b>
              </div>
              <div>
                <span className="ssi-muted">failed</span>{' '}
                <b data-testid="ssi-ack-failed-total" className={failed > 0 ? 'ssi-bad' : undefined}>{formatCount(failed)}</b>
              </div>
            </div>
            {roundTrips && roundTrips.count > 0 ? (
              <div className="ssi-pcts" data-testid="ssi-ack-roundtrip">
                <div>
                  <span className="ssi-muted">{MEASURES.server}</span> <b>{formatCount(roundTrips.count)}</b>
                </div>
                <div>
                  <span className="ssi-muted">p50</span> <b>{formatPercentile(roundTrips.p50)}</b>
                </div>
                <div>
                  <span className="ssi-muted">p95</span> <b>{formatPercentile(roundTrips.p95)}</b>
                </div>
                <div>
                  <span className="ssi-muted">p99</span> <b>{formatPercentile(roundTrips.p99)}</b>
                </div>
              </div>
            ) : null}
            <DataGrid
              label="Busiest acks"
              columns={ackColumns}
              data={topAcks}
              getRowId={ackKey}
              height={topAcks.length * 28 + 32}
              rowHeight={28}
              onRowClick={() => onTab('acks')}
              rowTestId="ssi-ack-summary-row"
            />
          </>
        ) : (
          <div className="ssi-muted ssi-small">No acks in the last five minutes.</div>
        )}
      </div>
      <AdminActions tick={snapshot?.time} />
    </div>
  )
}
