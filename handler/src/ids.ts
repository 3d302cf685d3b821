/** Unguessable ids from Web Crypto: 120 bits for session ids, 256 bits for tokens. */
export function randomId(bytes: number): string {
  const buf = new Uint8Array(bytes)
  crypto.getRandomValues(buf)
  return base64url(buf)
}

export const newSessionId = () => randomId(15)
export const newToken = () => randomId(32)
export const newInstanceId = () => randomId(6)

let ownerPrefix: string | undefined
let ownerCount = 0
/**
 * A name for one request's claims (a lease's owner): unique, not secret. A random prefix, made on
 * first use (Workers refuse randomness at module scope), and a counter: Web Crypto per request
 * costs more than the rest of the id.
 */
export function newOwnerId(): string {
  ownerPrefix ??= randomId(9)
  return `${ownerPrefix}.${(ownerCount++).toString(36)}`
}

/**
 * A token derived from the session token that is good only for reading the
 * stream, for transports that can pass a query parameter but no header
 * (EventSource). It leaks less than the session token if a URL is logged.
 */
export async function streamToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`stream:${token}`))
  return base64url(new Uint8Array(digest))
}

/** Compares secrets in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function base64url(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
