import { createContext, useContext } from 'react'
import type { InspectorWall } from './wall.js'

export type InspectorTab = 'overview' | 'sessions' | 'rooms' | 'feed' | 'acks'

export interface InspectorContextValue {
  wall: InspectorWall
  /** Admin actions hidden (the server said so, or the `readonly` prop). */
  readonly: boolean
  /** The server's clock at the last snapshot, for "ago" columns. */
  now: number
  openSession: (id: string) => void
  openRoom: (name: string) => void
  /** Refresh snapshot and metrics soon (after an action). */
  nudge: () => void
}

export const InspectorContext = createContext<InspectorContextValue | null>(null)

export function useInspector(): InspectorContextValue {
  const value = useContext(InspectorContext)
  if (!value) throw new Error('inspector views must render inside <Inspector>')
  return value
}
