import { useMemo, useState } from 'react'
import { BarChart } from '../components/Chart.js'
import { DataGrid, type GridColumn } from '../components/DataGrid.js'
import { formatCount, formatPercentile, histogramLabels, mergeHistograms, PERCENTILE_NOTE, percentileFromHistogram } from '../stats.js'
import type { AckStat, Metrics } from '../types.js'

export const ackKey = (a: AckStat) => `${a.event}|${a.direction}`

const DIRECTION: Record<AckStat['direction'], string> = {
  client: 'client → server',
  server: 'server → client',
}

/** What each direction's latency is: named wherever a latency is shown. */
export const MEASURES: Record<AckStat['direction'], string> = {
  client: 'handler time',
  server: 'round trip',
}

const pct = (v: unknown) => formatPercentile(v as number | null)

export const ackColumns: GridColumn<AckStat>[] = [
  { id: 'event', accessorKey: 'event', header: 'Event', meta: { width: 'minmax(7rem, 1.5fr)', mono: true }, sortFn: 'alphanumeric' },
  {
    id: 'direction',
    accessorKey: 'direction',
    header: 'Direction',
    meta: { width: '8.5rem' },
    cell: ({ row }) => <span title={row.original.direction === 'client' ? 'a client emit answered by a server handler' : 'a server emitWithAck answered by a client'}>{DIRECTION[row.original.direction]}</span>,
  },
  {
    id: 'measures',
    accessorFn: (a) => MEASURES[a.direction],
    header: 'Measures',
    meta: { width: '6.5rem' },
    cell: ({ row }) => (
      <span title={row.original.direction === 'client' ? 'time in the server handler (the client’s round trip adds the network)' : 'from the server’s emitWithAck to the client’s ack arriving'}>
        {MEASURES[row.original.direction]}
      </span>
    ),
  },
  { id: 'count', accessorKey: 'count', header: 'Count', meta: { width: '5rem', align: 'right' }, sortFn: 'basic', sortDescFirst: true, cell: ({ getValue }) => formatCount(Number(getValue())) },
  {
    id: 'failed',
    accessorFn: (a) => a.failed ?? 0,
    header: 'Failed',
    meta: { width: '5.5rem', align: 'right' },
    sortFn: 'basic',
    sortDescFirst: true,
    cell: ({ row }) => {
      const failed = row.original.failed ?? 0
      const total = Math.max(row.original.count, failed)
      return failed > 0 ? (
        <b className="ssi-bad" data-testid="ssi-ack-failed" title={`${failed} of ${total} failed`}>
          {formatCount(failed)} ({Math.round((failed / total) * 100)}%)
        </b>
      ) : (
        <span className="ssi-muted">0</span>
      )
    },
  },
  { id: 'p50', accessorKey: 'p50', header: 'p50', meta: { width: '5.5rem', align: 'right' }, sortFn: 'basic', sortDescFirst: true, cell: ({ getValue }) => pct(getValue()) },
  { id: 'p95', accessorKey: 'p95', header: 'p95', meta: { width: '5.5rem', align: 'right' }, sortFn: 'basic', sortDescFirst: true, cell: ({ getValue }) => pct(getValue()) },
  { id: 'p99', accessorKey: 'p99', header: 'p99', meta: { width: '5.5rem', align: 'right' }, sortFn: 'basic', sortDescFirst: true, cell: ({ getValue }) => pct(getValue()) },
]

const HIST_SERIES = [{ label: 'acks', color: '--ssi-c-bar' }]
const ALL = '*'
const BUSIEST = [{ id: 'count', desc: true }]

export function AckLatency({ metrics }: { metrics: Metrics | undefined }) {
  const acks = metrics?.acks ?? []
  const [selected, setSelected] = useState<string>(ALL)
  const current = selected === ALL ? undefined : acks.find((a) => ackKey(a) === selected)
  const histogram = useMemo(
    () => (current ? current.histogram : mergeHistograms(acks.map((a) => a.histogram))),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [metrics, selected],
  )
  const labels = useMemo(() => histogramLabels(histogram), [histogram])
  const counts = useMemo(() => histogram.map((b) => b.count), [histogram])
  const summary = current
    ? { count: current.count, p50: current.p50, p95: current.p95, p99: current.p99 }
    : {
        count: acks.reduce((n, a) => n + a.count, 0),
        p50: percentileFromHistogram(histogram, 0.5),
        p95: percentileFromHistogram(histogram, 0.95),
        p99: percentileFromHistogram(histogram, 0.99),
      }

  return (
    <div className="ssi-view ssi-acks">
      <div className="ssi-toolbar">
        <span className="ssi-muted ssi-small">
          Last five minutes, all instances. Click a row for its histogram.
        </span>
        <span className="ssi-muted ssi-small" data-testid="ssi-percentile-note" title={PERCENTILE_NOTE}>
          percentiles are bucket upper bounds (hover for the method)
        </span>
        <div className="ssi-spacer" />
        {selected !== ALL ? (
          <button type="button" className="ssi-button" onClick={() => setSelected(ALL)}>
            Show all events
          </button>
        ) : null}
      </div>
      <div className="ssi-acks-table">
        <DataGrid
          label="Ack latency per event and direction"
          columns={ackColumns}
          data={acks}
          getRowId={ackKey}
          onRowClick={(a) => setSelected(ackKey(a) === selected ? ALL : ackKey(a))}
          selectedId={selected}
          testId="ssi-ack-table"
          rowTestId="ssi-ack-row"
          rowAttributes={(a) => ({ 'data-event': a.event, 'data-direction': a.direction })}
          initialSorting={BUSIEST}
          empty={metrics ? 'No acks in the last five minutes.' : 'Loading…'}
        />
      </div>
      <div className="ssi-card">
        <div className="ssi-card-head">
          <h3>
            {current ? (
              <>
                <span className="ssi-mono">{current.event}</span> <span className="ssi-muted">{DIRECTION[current.direction]} · {MEASURES[current.direction]}</span>
              </>
            ) : (
              'All events'
            )}
          </h3>
          <div className="ssi-pcts ssi-small">
            <div>
              <span className="ssi-muted">count</span> <b>{formatCount(summary.count)}</b>
            </div>
            <div>
              <span className="ssi-muted">p50</span> <b>{formatPercentile(summary.p50)}</b>
            </div>
            <div>
              <span className="ssi-muted">p95</span> <b>{formatPercentile(summary.p95)}</b>
            </div>
            <div>
              <span className="ssi-muted">p99</span> <b>{formatPercentile(summary.p99)}</b>
            </div>
          </div>
        </div>
        {histogram.length > 0 ? (
          <BarChart
            categories={labels}
            values={[counts]}
            series={HIST_SERIES}
            height={210}
            testId="ssi-ack-chart"
            label="Ack latency histogram"
            yFormat={formatCount}
          />
        ) : (
          <div className="ssi-muted ssi-small" data-testid="ssi-ack-chart">
            No histogram yet.
          </div>
        )}
      </div>
    </div>
  )
}
