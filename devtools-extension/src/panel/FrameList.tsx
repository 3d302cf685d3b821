import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { FrameRow } from '../relay/page-model.js'
import type { FrameIndex } from './frame-index.js'
import { clock } from './format.js'

/** Fixed row height (px, panel.css .frame-row): row i is at i * ROW, no measuring. */
export const ROW = 20
/** rows rendered above and below the visible ones */
const OVERSCAN = 8

interface Props {
  index: FrameIndex
  /** the store's version: a new one means the ring or the index moved */
  version: number
  selected?: string
  onSelect(row: FrameRow): void
}

/**
 * The frame list, virtualised: only the visible rows (plus overscan) are in the DOM, absolutely
 * placed in a spacer as tall as the whole list. It follows the newest row while scrolled to the
 * bottom; scrolled up, it keeps the row at the top where it is while new rows arrive and old ones
 * are evicted (its ring position is the anchor).
 */
export function FrameList({ index, version, selected, onSelect }: Props) {
  const scroller = useRef<HTMLDivElement>(null)
  const [height, setHeight] = useState(400)
  /** the scroll position while not following the newest row */
  const [top, setTop] = useState(0)
  const follow = useRef(true)
  /** while not following: the ring position of the top row and the offset into it */
  const anchor = useRef<{ position: number; offset: number } | undefined>(undefined)
  /** the scrollTop we set last: its scroll event is ours, not the user's */
  const ours = useRef(-1)

  const count = index.length
  const total = count * ROW
  const viewTop = follow.current
    ? Math.max(0, total - height)
    : Math.min(Math.max(0, total - height), anchor.current ? index.indexOf(anchor.current.position) * ROW + anchor.current.offset : top)
  const from = Math.max(0, Math.floor(viewTop / ROW) - OVERSCAN)
  const to = Math.min(count, Math.ceil((viewTop + height) / ROW) + OVERSCAN)
  const slots = Math.max(1, to - from)
  const rows: { i: number; f: FrameRow }[] = []
  for (let i = from; i < to; i++) {
    const f = index.row(i)
    if (f) rows.push({ i, f })
  }

  useLayoutEffect(() => {
    const el = scroller.current
    if (el && Math.abs(el.scrollTop - viewTop) >= 1) {
      el.scrollTop = viewTop
      ours.current = el.scrollTop
    }
  })

  useEffect(() => {
    const el = scroller.current
    if (!el) return
    const observer = new ResizeObserver(() => setHeight(el.clientHeight || 400))
    observer.observe(el)
    return () => observer.disconnect()
  }, [])

  return (
    <div
      className="frame-list"
      ref={scroller}
      data-testid="frames"
      data-total={count}
      data-rendered={rows.length}
      data-version={version}
      onScroll={(e) => {
        const el = e.currentTarget
        if (Math.abs(el.scrollTop - ours.current) < 1) return // our own scroll
        follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < ROW * 2
        const position = index.positionAt(Math.floor(el.scrollTop / ROW))
        anchor.current = follow.current || position === undefined ? undefined : { position, offset: el.scrollTop % ROW }
        setTop(el.scrollTop)
      }}
    >
      <div className="frame-spacer" style={{ height: total }}>
        {rows.map(({ i, f }) => (
          // Keyed by slot, not by frame: as the window moves, React updates the same few nodes.
          <div
            key={i % slots}
            style={{ transform: `translateY(${i * ROW}px)` }}
            className={`frame-row clickable ${f.direction}${f.control ? ' control' : ''}${f.key === selected ? ' selected' : ''}`}
            onClick={() => onSelect(f)}
            data-testid="frame-row"
            data-direction={f.direction}
            data-event={f.event}
            data-key={f.key}
          >
            <span className={`arrow ${f.direction}`}>{f.direction === 'in' ? '↓' : '↑'}</span>
            <span className="mono small">{clock(f.time, true)}</span>
            <span className="mono ellipsis">
              {f.event}
              {f.ack ? (
                <span className="badge" title="ack requested">
                  ack
                </span>
              ) : null}
            </span>
            <span className="mono small muted ellipsis">{f.id ?? ''}</span>
            <span className="num small">
              {f.bytes}
              {f.batch && f.batch > 1 ? <span className="muted">/{f.batch}</span> : null}
            </span>
            <span className="mono small ellipsis">{preview(f.data)}</span>
          </div>
        ))}
      </div>
      {count === 0 && index.pending === 0 ? <p className="muted small center empty">No frames{index.unfiltered ? '' : ' match'}.</p> : null}
    </div>
  )
}

/** The list's column heads (outside the scroller: they stay put). */
export function FrameHeader({ index }: { index: FrameIndex }) {
  return (
    <div className="frame-row frame-head">
      <span />
      <span>time</span>
      <span>event</span>
      <span>id</span>
      <span className="num">bytes</span>
      <span>
        data
        {index.pending ? (
          <span className="muted" data-testid="filtering">
            {' '}
            · filtering… {index.pending} to check
          </span>
        ) : null}
      </span>
    </div>
  )
}

/** A visible row's data, cut short (only visible rows pay for it). */
function preview(value: unknown): string {
  if (value === undefined) return ''
  try {
    const s = JSON.stringify(value)
    return s.length > 120 ? `${s.slice(0, 120)}…` : s
  } catch {
    return String(value)
  }
}
