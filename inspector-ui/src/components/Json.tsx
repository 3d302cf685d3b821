/** Pretty JSON, read-only, scrolls when long. */
export function Json({ value, testId, empty = 'none' }: { value: unknown; testId?: string; empty?: string }) {
  if (value === undefined) return <div className="ssi-muted ssi-small" data-testid={testId}>{empty}</div>
  let text: string
  try {
    text = JSON.stringify(value, null, 2) ?? String(value)
  } catch {
    text = String(value)
  }
  return (
    <pre className="ssi-json" data-testid={testId}>
      {text}
    </pre>
  )
}
