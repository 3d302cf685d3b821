/** Joins byte chunks into one array (no copy for a single chunk). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  let size = 0
  for (const c of chunks) size += c.byteLength
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return all
}

/**
 * Body bytes an adapter already read, kept beside their Request: building a
 * Request from bytes costs a copy into a stream that readJson would read back.
 */
const preread = new WeakMap<Request, Uint8Array>()

export function attachBody(req: Request, body: Uint8Array): void {
  preread.set(req, body)
}

export function takeBody(req: Request): Uint8Array | undefined {
  const body = preread.get(req)
  if (body) preread.delete(req)
  return body
}
