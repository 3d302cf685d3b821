import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { Inspector, type InspectorProps } from './Inspector.js'

export type MountOptions = InspectorProps

export interface MountedInspector {
  /** Re-render with new options (merged over the current ones). */
  update(options: Partial<MountOptions>): void
  unmount(): void
}

/** Renders the inspector into `element` for pages without React. */
export function mountInspector(element: Element, options: MountOptions): MountedInspector {
  const root = createRoot(element)
  let current = { ...options }
  const render = () =>
    root.render(
      <StrictMode>
        <Inspector {...current} />
      </StrictMode>,
    )
  render()
  return {
    update(next) {
      current = { ...current, ...next }
      render()
    },
    unmount() {
      root.unmount()
    },
  }
}
