import { SocketServeError } from '@socket-serve/client/protocol'

const ACCEPTED_TYPES = /^(application\/json|text\/plain)\s*(;|$)/i

/**
 * Reads a JSON body of at most `max` bytes. Refuses other content types (415),
 * oversize bodies (413, before reading when Content-Length says so), invalid
 * UTF-8 and invalid JSON (400). An empty body reads as undefined.
 */
export async function readJson(req: Request, max: number): Promise<unknown> {
  const type = req.headers.get('content-type')
  if (type && !ACCEPTED_TYPES.test(type)) {
    throw new SocketServeError('UNSUPPORTED_MEDIA_TYPE', 'send JSON (application/json)')
  }
  const declared = Number(req.headers.get('content-length') ?? NaN)
  if (declared > max) throw tooLarge(max)
  const bytes = await readBytes(req, max)
  if (bytes.byteLength === 0) return undefined
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new SocketServeError('BAD_REQUEST', 'the body is not valid UTF-8')
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new SocketServeError('BAD_REQUEST', 'the body is not valid JSON')
  }
}

async function readBytes(req: Request, max: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0)
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      throw tooLarge(max)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const all = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    all.set(c, at)
    at += c.byteLength
  }
  return all
}

function tooLarge(max: number): SocketServeError {
  return new SocketServeError('PAYLOAD_TOO_LARGE', `the body exceeds ${max} bytes`)
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
