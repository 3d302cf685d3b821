/**
 * Inspector tokens, kept in chrome.storage.local per inspected page origin and endpoint. The page
 * origin comes from the browser (the worker reads the tab's URL), never from the page: a page that
 * claims another app's endpoint finds no token saved for itself, and is never handed one.
 */
export const TOKENS_KEY = 'inspectorTokensByOrigin'

/** `https://app.example https://api.example/socket`: saved while inspecting that page origin, for that endpoint. */
export function tokenKey(pageOrigin: string, endpoint: string): string {
  return `${pageOrigin} ${endpoint}`
}

export async function loadTokens(): Promise<Record<string, string>> {
  const got = await chrome.storage.local.get(TOKENS_KEY)
  return (got[TOKENS_KEY] as Record<string, string> | undefined) ?? {}
}

export async function saveToken(key: string, token: string | undefined): Promise<Record<string, string>> {
  const tokens = await loadTokens()
  if (token) tokens[key] = token
  else delete tokens[key]
  await chrome.storage.local.set({ [TOKENS_KEY]: tokens })
  return tokens
}

/** The inspected tab's origin, as the service worker reads it from the browser (background.ts). */
export async function inspectedOrigin(tabId: number): Promise<string | undefined> {
  try {
    const answer = (await chrome.runtime.sendMessage({ kind: 'tab-origin', tabId })) as { origin?: string } | undefined
    return typeof answer?.origin === 'string' ? answer.origin : undefined
  } catch {
    return undefined
  }
}
