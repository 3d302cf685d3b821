import { httpWall, Inspector, type InspectorWall } from '@socket-serve/inspector'
import { useEffect, useMemo, useState } from 'react'
import type { PanelStore } from './store.js'
import { inspectedOrigin, loadTokens, saveToken, tokenKey, TOKENS_KEY } from './tokens.js'

export function ServerView({ store, theme, active }: { store: PanelStore; theme: 'light' | 'dark'; active: boolean }) {
  const endpoints = store.endpoints()
  const [picked, setPicked] = useState<string>()
  const endpoint = picked && endpoints.includes(picked) ? picked : endpoints[0]
  // The page's own session on that endpoint: the Server view opens on it.
  const ownSid =
    [...store.model.connections.values()].find((c) => c.endpoint === endpoint && c.sid)?.sid ??
    store.hookSockets.find((s) => s.endpoint === endpoint && s.sid)?.sid
  const [tokens, setTokens] = useState<Record<string, string>>()
  const [editing, setEditing] = useState(false)
  // The inspected page's origin, from the browser; again after each navigation.
  const [pageOrigin, setPageOrigin] = useState<string>()
  useEffect(() => {
    const tabId = chrome.devtools.inspectedWindow.tabId
    let current = true
    const read = () => void inspectedOrigin(tabId).then((o) => current && setPageOrigin(o))
    read()
    chrome.devtools.network.onNavigated.addListener(read)
    return () => {
      current = false
      chrome.devtools.network.onNavigated.removeListener(read)
    }
  }, [])
  // The inspector polls: start it the first time the view is shown, then keep it.
  const [opened, setOpened] = useState(false)
  useEffect(() => {
    if (active) setOpened(true)
  }, [active])
  useEffect(() => {
    void loadTokens().then(setTokens)
    const onChange = (changes: Record<string, chrome.storage.StorageChange>, area: string) => {
      if (area === 'local' && TOKENS_KEY in changes) setTokens((changes[TOKENS_KEY].newValue as Record<string, string>) ?? {})
    }
    chrome.storage.onChanged.addListener(onChange)
    return () => chrome.storage.onChanged.removeListener(onChange)
  }, [])

  const key = endpoint && pageOrigin ? tokenKey(pageOrigin, endpoint) : undefined
  const token = key ? tokens?.[key] : undefined
  // Requests go from this panel (an extension page), never through the page's renderer.
  const wall = useMemo(() => (endpoint && token ? (httpWall({ endpoint, token }) as unknown as InspectorWall) : undefined), [endpoint, token])

  if (!endpoint) {
    return (
      <div className="server-empty muted" data-testid="server-empty">
        No socket-serve endpoint seen on this page yet. It appears once the page's client starts connecting.
      </div>
    )
  }
  if (tokens === undefined) return null
  if (!pageOrigin || !key) {
    return (
      <div className="server-empty muted" data-testid="server-no-origin">
        The inspected page has no http(s) origin the browser can vouch for: no token is used here.
      </div>
    )
  }

  return (
    <div className="server-view" data-testid="server-view" data-endpoint={endpoint}>
      <div className="toolbar">
        <span className="small muted">endpoint</span>
        {endpoints.length > 1 ? (
          <select value={endpoint} onChange={(e) => setPicked(e.target.value)} data-testid="endpoint-select">
            {endpoints.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        ) : (
          <code className="small" data-testid="endpoint">
            {endpoint}
          </code>
        )}
        <span className="spacer" />
        {token && !editing ? (
          <>
            <button type="button" onClick={() => setEditing(true)} data-testid="change-token">
              Change token
            </button>
            <button type="button" onClick={() => void saveToken(key, undefined).then(setTokens)} data-testid="forget-token">
              Forget token
            </button>
          </>
        ) : null}
      </div>
      {!token || editing ? (
        <TokenForm
          endpoint={endpoint}
          pageOrigin={pageOrigin}
          onCancel={token ? () => setEditing(false) : undefined}
          onSave={(value) =>
            void saveToken(key, value).then((t) => {
              setTokens(t)
              setEditing(false)
            })
          }
        />
      ) : opened && wall ? (
        <div className="inspector-host">
          <Inspector
            key={`${endpoint}\n${token}\n${ownSid ?? ''}`}
            wall={wall}
            endpoint={endpoint}
            theme={theme}
            initialTab="sessions"
            initialSession={ownSid}
            title="Server"
          />
        </div>
      ) : null}
    </div>
  )
}

function TokenForm({ endpoint, pageOrigin, onSave, onCancel }: { endpoint: string; pageOrigin: string; onSave(token: string): void; onCancel?: () => void }) {
  const [value, setValue] = useState('')
  return (
    <form
      className="token-form card"
      data-testid="token-form"
      onSubmit={(e) => {
        e.preventDefault()
        if (value.trim()) onSave(value.trim())
      }}
    >
      <h3>Inspector token</h3>
      <p className="small muted">
        The server's inspector API (<code>{endpoint}/_inspector/</code>) needs the token given to{' '}
        <code>serve({'{'} inspector: {'{'} token {'}'} {'}'})</code>. It is kept in this browser's extension storage for this endpoint when
        inspecting pages of <code data-testid="token-origin">{pageOrigin}</code>, and sent only by this panel, never into the page.
      </p>
      <div className="row">
        <input type="password" autoComplete="off" placeholder="token" value={value} onChange={(e) => setValue(e.target.value)} data-testid="token-input" autoFocus />
        <button type="submit" className="primary" data-testid="token-save">
          Save
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  )
}
