import { useState, type FormEvent } from 'react'
import { useInspector } from '../context.js'
import type { EmitTarget } from '../types.js'

/** Reads the payload box: JSON when it parses, otherwise the text as a string; empty sends none. */
export function parsePayload(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Emit an event to a session, a room or everyone (admin action). */
export function EmitForm({ to, label }: { to: EmitTarget; label: string }) {
  const { wall, nudge } = useInspector()
  const [event, setEvent] = useState('')
  const [payload, setPayload] = useState('')
  const [result, setResult] = useState<{ ok: boolean; text: string }>()
  const [busy, setBusy] = useState(false)

  // Emitting to everyone asks first: one click must not reach every session.
  const [confirming, setConfirming] = useState(false)
  const everyone = 'all' in to

  const submit = async (e?: FormEvent) => {
    e?.preventDefault()
    if (!event.trim()) return
    if (everyone && !confirming) {
      setResult(undefined)
      setConfirming(true)
      return
    }
    setConfirming(false)
    setBusy(true)
    setResult(undefined)
    try {
      const sent = await wall.send({ type: 'emit', to, event: event.trim(), data: parsePayload(payload) })
      const reach = typeof sent.sessions === 'number' ? ` to ${sent.sessions.toLocaleString('en-US')} session${sent.sessions === 1 ? '' : 's'}` : ''
      setResult({ ok: true, text: `Sent “${event.trim()}”${reach}` })
      nudge()
    } catch (error) {
      setResult({ ok: false, text: (error as Error).message || String(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="ssi-emit" onSubmit={submit} data-testid="ssi-emit-form">
      <div className="ssi-emit-title">{label}</div>
      <div className="ssi-emit-row">
        <input
          className="ssi-input"
          placeholder="event"
          aria-label="Event name"
          value={event}
          onChange={(e) => setEvent(e.target.value)}
          data-testid="ssi-emit-event"
        />
        <button className="ssi-button ssi-primary" type="submit" disabled={busy || !event.trim()} data-testid="ssi-emit-send">
          Emit
        </button>
      </div>
      <textarea
        className="ssi-input ssi-textarea"
        placeholder='data: JSON such as {"text":"hi"}, or plain text'
        aria-label="Event data"
        rows={3}
        value={payload}
        onChange={(e) => setPayload(e.target.value)}
        data-testid="ssi-emit-data"
      />
      {confirming ? (
        <div className="ssi-small" role="alert" data-testid="ssi-emit-confirm">
          Send “{event.trim()}” to every session?{' '}
          <button type="button" className="ssi-button ssi-primary" onClick={() => void submit()} data-testid="ssi-emit-confirm-yes">
            Send to everyone
          </button>{' '}
          <button type="button" className="ssi-button" onClick={() => setConfirming(false)} data-testid="ssi-emit-confirm-no">
            Cancel
          </button>
        </div>
      ) : null}
      {result ? (
        <div className={result.ok ? 'ssi-ok ssi-small' : 'ssi-bad ssi-small'} role="status" data-testid="ssi-emit-result">
          {result.text}
        </div>
      ) : null}
    </form>
  )
}
