import { useMemo } from 'react'
import { TimeChart } from '../components/Chart.js'
import { DataGrid } from '../components/DataGrid.js'
import { ackColumns, ackKey } from './AckLatency.js'
import { formatCount, formatMs, latestRate, rateSeries, summarizeAcks } from '../stats.js'
import type { Metrics, Snapshot } from '../types.js'
import type { InspectorTab } from '../context.js'

const RATE_SERIES = [
  { label: 'in /s', color: '--ssi-c-in' },
  { label: 'out /s', color: '--ssi-c-out' },
]

const formatRate = (v: number) => (v >= 100 ? formatCount(v) : String(Number(v.toFixed(1))))

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
  const acks = useMemo(() => (metrics ? summarizeAcks(metrics.acks) : undefined), [metrics])
  const topAcks = useMemo(
    () => (metrics ? [...metrics.acks].sort((a, b) => b.count - a.count).slice(0, 5) : []),
    [metrics],
  )
  const disconnected = totals ? totals.sessions - totals.connected : undefined

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

      <div className="ssi-card">
        <div className="ssi-card-head">
          <h3>Messages</h3>
          <span className="ssi-muted ssi-small">
            {rate ? (
              <>
                now <b data-testid="ssi-rate-in">{formatRate(rate.in)}</b> in/s ·{' '}
                <b data-testid="ssi-rate-out">{formatRate(rate.out)}</b> out/s · last 5 min, all instances
              </>
            ) : (
              'loading…'
            )}
          </span>
        </div>
        <TimeChart data={series} series={RATE_SERIES} height={170} testId="ssi-rate-chart" label="Messages per second, in and out" yFormat={formatRate} />
      </div>

      <div className="ssi-card" data-testid="ssi-ack-summary">
        <div className="ssi-card-head">
          <h3>Ack latency</h3>
          <button className="ssi-link" type="button" onClick={() => onTab('acks')}>
            details →
          </button>
        </div>
        {acks && acks.count > 0 ? (
          <>
            <div className="ssi-pcts">
              <div>
                <span className="ssi-muted">acks</span> <b data-testid="ssi-ack-count">{formatCount(acks.count)}</b>
              </div>
              <div>
                <span className="ssi-muted">p50</span> <b data-testid="ssi-ack-p50">{formatMs(acks.p50)}</b>
              </div>
              <div>
                <span className="ssi-muted">p95</span> <b data-testid="ssi-ack-p95">{formatMs(acks.p95)}</b>
              </div>
              <div>
                <span className="ssi-muted">p99</span> <b data-testid="ssi-ack-p99">{formatMs(acks.p99)}</b>
              </div>
            </div>
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
    </div>
  )
}
