import { useEffect, useState } from 'react'
import { useInspector } from '../context.js'
import { formatAgo, formatCount } from '../stats.js'
import { errorsLevel, formatBytes, formatLatency, latencyLevel, memoryLevel, storeLevel, type Level } from '../store-health.js'
import type { InstancesReport, StoreHealth } from '../types.js'

const LEVEL_CLASS: Record<Level, string> = { ok: 'ssi-ok', warn: 'ssi-warn', bad: 'ssi-bad' }
const STORE_NAME: Record<StoreHealth['kind'], string> = { redis: 'Redis', upstash: 'Upstash Redis', memory: 'Memory store' }

/** The instances and the store's health, read with each refresh (one request for both). */
export function InstancesCards({ tick }: { tick: unknown }) {
  const { wall, now } = useInspector()
  const [report, setReport] = useState<InstancesReport>()
  const [failed, setFailed] = useState<string>()
  useEffect(() => {
    let live = true
    wall.send({ type: 'instances' }).then(
      (r) => {
        if (!live) return
        setReport(r)
        setFailed(undefined)
      },
      (e) => live && setFailed((e as Error).message),
    )
    return () => {
      live = false
    }
  }, [wall, tick])

  return (
    <div className="ssi-two-cards">
      <div className="ssi-card" data-testid="ssi-instances">
        <div className="ssi-card-head">
          <h3>Instances</h3>
          <span className="ssi-muted ssi-small">by last heartbeat · silent after a minute without one</span>
        </div>
        {!report ? (
          <p className="ssi-muted ssi-small">{failed ?? 'Loading…'}</p>
        ) : (
          <table className="ssi-table ssi-small">
            <thead>
              <tr>
                <th>instance</th>
                <th>version</th>
                <th className="ssi-right">streams</th>
                <th className="ssi-right">heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {report.instances.map((i) => (
                <tr key={i.id} data-testid="ssi-instance-row" data-instance={i.id} data-status={i.status} data-streams={i.streams}>
                  <td className="ssi-mono">
                    <span className={`ssi-dot ${i.status === 'live' ? 'ssi-dot-on' : 'ssi-dot-off'}`} /> {i.id}
                    {i.self ? <span className="ssi-muted"> (this one)</span> : null}
                  </td>
                  <td className="ssi-mono">{i.version}</td>
                  <td className="ssi-right">{formatCount(i.streams)}</td>
                  <td className={`ssi-right${i.status === 'silent' ? ' ssi-warn' : ''}`} title={new Date(i.at).toLocaleString()}>
                    {heartbeatLabel(formatAgo(i.at, now), i.status)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <StoreCard health={report?.store} loaded={!!report} now={now} />
    </div>
  )
}

/** `now`, `12s ago`, `3m silent` */
function heartbeatLabel(ago: string, status: 'live' | 'silent'): string {
  if (status === 'silent') return `${ago} silent`
  return ago === 'now' ? 'now' : `${ago} ago`
}

function StoreCard({ health, loaded, now }: { health: StoreHealth | null | undefined; loaded: boolean; now: number }) {
  const level = health ? storeLevel(health, now) : undefined
  const memory = health ? memoryLevel(health.memory) : null
  return (
    <div className="ssi-card" data-testid="ssi-store-health" data-level={level ?? ''}>
      <div className="ssi-card-head">
        <h3>{health ? STORE_NAME[health.kind] : 'Store'} health</h3>
        {level ? <span className={`ssi-small ${LEVEL_CLASS[level]}`}>{level === 'ok' ? 'ok' : level === 'warn' ? 'watch' : 'trouble'}</span> : null}
      </div>
      {!health ? (
        <p className="ssi-muted ssi-small">{loaded ? 'This store reports no health.' : 'Loading…'}</p>
      ) : (
        <table className="ssi-table ssi-small">
          <tbody>
            <tr>
              <td className="ssi-muted">round trip (PING)</td>
              <td className={LEVEL_CLASS[latencyLevel(health.latencyMs)]} data-testid="ssi-store-latency">
                {formatLatency(health.latencyMs)}
              </td>
            </tr>
            <tr>
              <td className="ssi-muted">memory</td>
              <td className={memory ? LEVEL_CLASS[memory] : undefined} data-testid="ssi-store-memory">
                {health.memory
                  ? `${formatBytes(health.memory.used)}${health.memory.max ? ` of ${formatBytes(health.memory.max)} (${Math.round((health.memory.used / health.memory.max) * 100)}%)` : health.kind === 'memory' ? ' (this process’s heap)' : ' (no maxmemory set)'}${health.memory.policy ? ` · ${health.memory.policy}` : ''}`
                  : 'not reported'}
              </td>
            </tr>
            <tr>
              <td className="ssi-muted">failed calls</td>
              <td className={LEVEL_CLASS[errorsLevel(health, now)]} data-testid="ssi-store-errors" data-count={health.errorCount}>
                {formatCount(health.errorCount)} since start{health.errors[0] ? ` · last ${formatAgo(health.errors[0].at, now)} ago: ${health.errors[0].message}` : ''}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      <div className="ssi-muted ssi-small">as seen from the instance that answered</div>
    </div>
  )
}
