import { SocketServeError } from '@socket-serve/client/protocol'
import { takeBody } from './beside.js'
import { concatBytes } from '../delivery/bytes.js'

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
  // Checked on the bytes, before any parse: a deep body costs one pass, not a parse and a walk.
  if (nestsDeeper(bytes, MAX_DEPTH)) throw new SocketServeError('BAD_REQUEST', `the body nests deeper than ${MAX_DEPTH} levels`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new SocketServeError('BAD_REQUEST', 'the body is not valid UTF-8')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SocketServeError('BAD_REQUEST', 'the body is not valid JSON')
  }
  return value
}

/** Deeper payloads are refused: serialising them again (acks, store) would overflow the stack. */
export const MAX_DEPTH = 64

/**
 * Whether JSON text nests arrays and objects more than `max` deep, read off its bytes: brackets
 * outside strings (UTF-8 multi-byte characters never contain these ASCII bytes).
 */
export function nestsDeeper(bytes: Uint8Array, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (inString) {
      if (b === 0x5c /* \\ */) i++
      else if (b === 0x22 /* " */) inString = false
    } else if (b === 0x22) inString = true
    else if (b === 0x5b /* [ */ || b === 0x7b /* { */) {
      if (++depth > max) return true
    } else if (b === 0x5d /* ] */ || b === 0x7d /* } */) depth--
  }
  return false
}

async function readBytes(req: Request, max: number): Promise<Uint8Array> {
  const preread = takeBody(req)
  if (preread) {
    if (preread.byteLength > max) throw tooLarge(max)
    return preread
  }
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
  return chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks)
}

function tooLarge(max: number): SocketServeError {
  return new SocketServeError('PAYLOAD_TOO_LARGE', `the body exceeds ${max} bytes`)
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
