import { useState, useSyncExternalStore } from 'react'
import { ServerView } from './ServerView.js'
import type { PanelStore } from './store.js'
import { ThisPage } from './ThisPage.js'

type View = 'page' | 'server'

export function App({ store, theme }: { store: PanelStore; theme: 'light' | 'dark' }) {
  const version = useSyncExternalStore(store.subscribe, store.getVersion)
  const [view, setView] = useState<View>('page')
  const connected = store.linkUp && store.contentUp
  return (
    <div className="app" data-testid="panel">
      <nav className="views" role="tablist">
        <button type="button" role="tab" aria-selected={view === 'page'} className={view === 'page' ? 'active' : ''} onClick={() => setView('page')} data-testid="view-page">
          This page
        </button>
        <button type="button" role="tab" aria-selected={view === 'server'} className={view === 'server' ? 'active' : ''} onClick={() => setView('server')} data-testid="view-server">
          Server
        </button>
        <span className="spacer" />
        <span
          className={`dot ${connected ? 'ok' : store.linkUp ? 'idle' : 'bad'}`}
          title={!store.linkUp ? 'reconnecting to the extension worker…' : store.contentUp ? 'page relay connected' : 'page relay idle (connects with the next frame)'}
          data-testid="relay-status"
          data-link={store.linkUp}
          data-content={store.contentUp}
        />
        <span className="muted small ellipsis" title={store.model.page?.url}>
          {store.model.page?.url ?? ''}
        </span>
      </nav>
      {/* Both stay mounted: the Server view keeps its feed while you look at frames. */}
      <div className="view" hidden={view !== 'page'}>
        <ThisPage store={store} version={version} />
      </div>
      <div className="view" hidden={view !== 'server'}>
        <ServerView store={store} theme={theme} active={view === 'server'} />
      </div>
    </div>
  )
}
