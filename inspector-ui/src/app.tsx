// The standalone page: /admin/?endpoint=/api/socket#token=... (or ?token=..., or the form).
import { StrictMode, useState, type FormEvent } from 'react'
import { createRoot } from 'react-dom/client'
import { Inspector } from './Inspector.js'
import type { ThemeSetting } from './components/theme.js'

interface PageOptions {
  endpoint: string
  token: string
  theme: ThemeSetting
  readonly: boolean
}

const DEFAULT_ENDPOINT = '/api/socket'

/** Options from the query and the hash (the hash wins: it never reaches server logs). */
export function readPageOptions(location: { search: string; hash: string }): Partial<PageOptions> {
  const query = new URLSearchParams(location.search)
  const hash = new URLSearchParams(location.hash.replace(/^#/, ''))
  const get = (key: string) => hash.get(key) ?? query.get(key) ?? undefined
  const theme = get('theme')
  return {
    endpoint: get('endpoint'),
    token: get('token'),
    theme: theme === 'light' || theme === 'dark' ? theme : 'auto',
    readonly: get('readonly') === '1' || get('readonly') === 'true',
  }
}

function Connect({ initial, onConnect }: { initial: Partial<PageOptions>; onConnect: (endpoint: string, token: string) => void }) {
  const [endpoint, setEndpoint] = useState(initial.endpoint ?? DEFAULT_ENDPOINT)
  const [token, setToken] = useState(initial.token ?? '')
  const submit = (e: FormEvent) => {
    e.preventDefault()
    onConnect(endpoint.trim() || DEFAULT_ENDPOINT, token)
  }
  return (
    <form className="app-connect" onSubmit={submit} data-testid="app-connect">
      <h1>socket-serve inspector</h1>
      <p>Where is the socket endpoint, and what is the inspector token?</p>
      <label htmlFor="app-endpoint">Endpoint</label>
      <input id="app-endpoint" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder={DEFAULT_ENDPOINT} />
      <label htmlFor="app-token">Token</label>
      <input id="app-token" type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
      <button type="submit">Open</button>
    </form>
  )
}

function App() {
  const initial = readPageOptions(window.location)
  const [options, setOptions] = useState<{ endpoint: string; token: string } | undefined>(
    initial.token ? { endpoint: initial.endpoint ?? DEFAULT_ENDPOINT, token: initial.token } : undefined,
  )
  if (!options) {
    return (
      <Connect
        initial={initial}
        onConnect={(endpoint, token) => {
          const hash = new URLSearchParams({ endpoint, token })
          history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`)
          setOptions({ endpoint, token })
        }}
      />
    )
  }
  return <Inspector endpoint={options.endpoint} token={options.token} theme={initial.theme} readonly={initial.readonly} />
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
