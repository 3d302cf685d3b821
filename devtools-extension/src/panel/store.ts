import { PageModel } from '../relay/page-model.js'
import type { HookEvent, PageInfo, SocketSummary } from '../relay/protocol.js'
import { FrameIndex } from './frame-index.js'

/** Streamed frames render at most this often (ms). */
const STREAM_RENDER_MS = 100

/**
 * The panel's state for React: the page model plus the links' status, with one version number
 * bumped (at most once per animation frame) whenever something changed. Frames live in the model's
 * ring, outside React state: a batch of events is folded in, and React renders once per frame at
 * most, whatever the batch held.
 */
export class PanelStore {
  readonly model = new PageModel()
  /** the frame list's (filtered) view of model.frames */
  readonly frames = new FrameIndex(this.model.frames)
  linkUp = false
  contentUp = false
  /** sockets the hook reports right now (inspectedWindow.eval), for endpoints the backlog lost */
  hookSockets: SocketSummary[] = []
  private version = 0
  private readonly listeners = new Set<() => void>()
  private scheduled = false
  private lastRender = 0

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  getVersion = (): number => this.version

  reset(page: PageInfo | undefined): void {
    this.model.reset(page)
    this.changed()
  }

  events(events: HookEvent[], dropped: number): void {
    this.model.apply(events, dropped)
    this.changed(true)
  }

  update(fn: (store: this) => void): void {
    fn(this)
    this.changed()
  }

  /** Render again next frame (a filter still indexing). */
  poke(): void {
    this.changed()
  }

  /** Endpoints from the recorded states, then those the hook knows. */
  endpoints(): string[] {
    const fromHook = this.hookSockets.map((s) => s.endpoint).filter((e): e is string => !!e)
    return [...new Set([...this.model.endpoints(), ...fromHook])]
  }

  /**
   * One render for everything that changed since the last: on the next animation frame, and for
   * streamed frames (`stream`) no sooner than STREAM_RENDER_MS after the previous render, so a page
   * at 1,000 frames/s costs the panel at most 10 renders a second (nobody reads a list faster).
   */
  private changed(stream = false): void {
    if (this.scheduled) return
    this.scheduled = true
    const run = () => {
      this.scheduled = false
      this.lastRender = Date.now()
      this.version++
      for (const fn of this.listeners) fn()
    }
    const frame = () => {
      if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && !document.hidden) requestAnimationFrame(run)
      else setTimeout(run, 50)
    }
    const wait = stream ? this.lastRender + STREAM_RENDER_MS - Date.now() : 0
    if (wait > 0) setTimeout(frame, wait)
    else frame()
  }
}
