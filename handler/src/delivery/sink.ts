/**
 * Where a streaming source can write its chunks directly, when the runtime adapter offers one.
 * On Node a chunk then reaches the socket at once, without a hop through a ReadableStream
 * (an enqueue, a read and their promises per chunk per client). Delivery writes to
 * a sink and knows nothing of the adapter (see http/beside.ts).
 */
export interface DirectSink {
  /** a string is UTF-8 text: the runtime encodes it as it writes (each receiver's frames differ by their id lines) */
  write(chunk: string | Uint8Array): void
  /** bytes written but not yet handed to the network */
  backlog(): number
  end(): void
  /** drops the connection with whatever is still queued (a client that stopped reading) */
  abort?(): void
}

/** A streaming body that starts writing once it has a sink. */
export interface DirectSource {
  attach(sink: DirectSink): void
  /** the client went away (safe to call more than once) */
  close(): void
}

