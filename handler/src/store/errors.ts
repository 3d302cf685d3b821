/**
 * Thrown by a store when its backend cannot be reached. The handler answers
 * 503 STORE_UNAVAILABLE with Retry-After, and the client retries: nothing the
 * server accepted is lost, because nothing was accepted.
 */
export class StoreUnavailableError extends Error {
  /**
   * The command may have run before its reply was lost (the connection dropped after it was
   * sent). False when it surely did not: never sent (no connection), or refused by the store.
   */
  readonly uncertain: boolean

  constructor(message: string, options?: { cause?: unknown; uncertain?: boolean }) {
    super(message, options)
    this.name = 'StoreUnavailableError'
    this.uncertain = options?.uncertain ?? true
  }
}
