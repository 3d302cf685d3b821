/**
 * Thrown by a store when its backend cannot be reached. The handler answers
 * 503 STORE_UNAVAILABLE with Retry-After, and the client retries: nothing the
 * server accepted is lost, because nothing was accepted.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
  }
}
