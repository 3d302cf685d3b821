import type { Health, SessionInfo } from '../types.js'

/** Each state, its colour class and what it means (thresholds: handler/INSPECTOR.md). */
export const HEALTH: Record<Health, { label: string; tone: string; hint: string }> = {
  live: { label: 'live', tone: 'ssi-h-live', hint: 'streaming and keeping up' },
  backlog: { label: 'backlog', tone: 'ssi-h-backlog', hint: '100 or more messages wait for it' },
  'not-reading': { label: 'not reading', tone: 'ssi-h-bad', hint: 'its stream holds 64 KiB or more the client has not taken' },
  stale: { label: 'stale', tone: 'ssi-h-bad', hint: 'its stream closed 5 s ago, or nothing heard for pingInterval + 5 s' },
  'never-streamed': { label: 'never streamed', tone: 'ssi-h-warn', hint: 'connected but never opened a stream' },
}

/** An older server sends no health: fall back on its `connected`. */
export const healthOf = (s: SessionInfo): Health => s.health ?? (s.connected ? 'live' : 'stale')

export function HealthBadge({ session }: { session: SessionInfo }) {
  const h = HEALTH[healthOf(session)]
  return (
    <span className={`ssi-health ${h.tone}`} title={h.hint} data-testid="ssi-health" data-health={healthOf(session)}>
      {h.label}
    </span>
  )
}
