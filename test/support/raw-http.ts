// Raw HTTP helpers for protocol-level tests (no client SDK): connect, read a stream, check refusals.
//
//   const a = await rawConnect(server.url)                       // { sid, token, streamToken, ... }
//   const s = openStream(`${server.url}/sse`, sessionHeaders(a))  // reads frames in the background
//   await until(() => s.messages.length === 1, 'one message')
//   s.close()
//   await expectRefusal(await fetch(...), 401, 'UNAUTHORIZED')
import { expect } from 'vitest'
import { ERROR_STATUS } from 'socket-serve'

export interface RawSession {
  sid: string
  token: string
  streamToken: string
  pingInterval: number
  pingTimeout: number
  maxPayload: number
  transports: string[]
  protocol: number
}

/** POST {url}/connect with a JSON body; throws unless 200. */
export async function rawConnect(url: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<RawSession> {
  const res = await fetch(`${url}/connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`connect answered ${res.status}: ${text}`)
  return JSON.parse(text) as RawSession
}

export const sessionHeaders = (s: { sid: string; token: string }): Record<string, string> => ({
  'x-socket-sid': s.sid,
  'x-socket-token': s.token,
})

export interface Frame {
  id?: string
  data: Record<string, unknown>
}

export interface RawStream {
  /** resolves with the response status once headers arrived */
  status: Promise<number>
  /** every frame received, in order (open and control frames included) */
  frames: Frame[]
  /** message frames only ({ e, d, a }) */
  readonly messages: Frame[]
  /** true once the response body ended (or failed) */
  readonly ended: boolean
  close(): void
}

/** Opens GET url (an /sse or /poll route) and parses SSE frames as they arrive. */
export function openStream(url: string, headers: Record<string, string> = {}): RawStream {
  const controller = new AbortController()
  const frames: Frame[] = []
  let ended = false
  let resolveStatus!: (s: number) => void
  const status = new Promise<number>((r) => (resolveStatus = r))
  void (async () => {
    try {
      const res = await fetch(url, { headers, signal: controller.signal })
      resolveStatus(res.status)
      if (!res.body) return
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buf += value
        let sep: number
        while ((sep = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, sep)
          buf = buf.slice(sep + 2)
          let id: string | undefined
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('id:')) id = line.slice(3).trim()
            else if (line.startsWith('data:')) data.push(line.slice(5).trimStart())
          }
          if (data.length > 0) frames.push({ id, data: JSON.parse(data.join('\n')) })
        }
      }
    } catch {
      resolveStatus(0)
    } finally {
      ended = true
    }
  })()
  return {
    status,
    frames,
    get messages() {
      return frames.filter((f) => typeof f.data.e === 'string')
    },
    get ended() {
      return ended
    },
    close: () => controller.abort(),
  }
}

export interface ErrorReply {
  status: number
  headers: Headers
  body: { error: { code: string; message: string } }
}

/** Reads a refusal and checks the one error shape of DESIGN §5: JSON, `{ error: { code, message } }`, code matches status. */
export async function readRefusal(res: Response): Promise<ErrorReply> {
  const text = await res.text()
  expect(res.headers.get('content-type'), `content-type of ${res.status} ${text}`).toMatch(/^application\/json/)
  const body = JSON.parse(text) as ErrorReply['body']
  expect(Object.keys(body)).toEqual(['error'])
  expect(typeof body.error.code).toBe('string')
  expect(typeof body.error.message).toBe('string')
  expect(ERROR_STATUS[body.error.code as keyof typeof ERROR_STATUS], `status of ${body.error.code}`).toBe(res.status)
  return { status: res.status, headers: res.headers, body }
}

/** Asserts a refusal with this status and code, in the JSON error shape. */
export async function expectRefusal(res: Response, status: number, code: string): Promise<ErrorReply> {
  const reply = await readRefusal(res)
  expect([reply.status, reply.body.error.code]).toEqual([status, code])
  return reply
}
