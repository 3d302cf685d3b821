import { createContext, useContext, useSyncExternalStore } from 'react'

export type ThemeSetting = 'auto' | 'light' | 'dark'

export const ThemeContext = createContext<ThemeSetting>('auto')

const query = '(prefers-color-scheme: dark)'

function subscribe(onChange: () => void): () => void {
  if (typeof matchMedia !== 'function') return () => {}
  const list = matchMedia(query)
  list.addEventListener('change', onChange)
  return () => list.removeEventListener('change', onChange)
}

const systemDark = () => typeof matchMedia === 'function' && matchMedia(query).matches

/** The scheme in effect: the `theme` prop, or the system's preference when `auto`. */
export function useColorScheme(): 'light' | 'dark' {
  const setting = useContext(ThemeContext)
  const dark = useSyncExternalStore(subscribe, systemDark, () => false)
  if (setting !== 'auto') return setting
  return dark ? 'dark' : 'light'
}
