// A test-only server that speaks the Upstash Redis REST protocol in front of a real redis-server,
// so the Upstash store (and @upstash/redis itself) can be tested on loopback with no account.
//
//   const shim = await startUpstashServer({ redisPort: redis.port, token: 't' })
//   upstashStore({ url: shim.url, token: 't' })
//   shim.counts           // commands run, by name (EVALSHA also per script SHA in shim.scripts)
//   shim.dropStreams()    // ends every open subscribe stream (as a network drop would)
//   shim.setDown(true)    // answers every request 503 until setDown(false)
//   await shim.close()
//
// What it covers (what @upstash/redis 1.39 sends):
//   POST /                        one command as a JSON array -> { result } | 400 { error }
//   POST /pipeline                [[cmd...], ...] -> [{ result } | { error }, ...] (in order, not atomic)
//   POST /multi-exec              the same inside MULTI/EXEC (atomic); a command refused while
//                                 queueing aborts all -> 400 { error }
//   POST|GET /subscribe/<ch>      SSE: `data: subscribe,<ch>,1`, then `data: message,<ch>,<payload>`
//   POST|GET /psubscribe/<pat>    SSE: `data: psubscribe,<pat>,1`, then `data: pmessage,<pat>,<ch>,<payload>`
//   Authorization: Bearer <token> (else 401 { error }); `Upstash-Encoding: base64`: every string in a
//   result is base64 of its bytes except the status "OK" (without the header: plain strings).
// What it does not: the URL-path command form (GET /set/foo/bar), `_token` query parameters,
// read-your-writes sync tokens (no header is returned), several channels per subscribe request,
// RESP3, rate limits and size limits of the real service, request bodies appended as the last
// argument. Pub/sub payloads are written as one `data:` line (as Upstash does; a payload holding a
// newline would be split, which socket-serve never publishes).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

export interface UpstashServer {
  url: string
  token: string
  /** commands run, by upper-case name */
  readonly counts: Map<string, number>
  /** EVALSHA calls by SHA-1 */
  readonly scripts: Map<string, number>
  /** HTTP requests answered (commands, pipelines, transactions; subscribes too) */
  readonly requests: number
  /** subscribe streams open now */
  readonly streams: number
  resetCounts(): void
  dropStreams(): void
  setDown(down: boolean): void
  close(): Promise<void>
}

// ---- a small RESP2 client: bulk strings stay bytes, status replies stay distinguishable ----

class Status {
  constructor(readonly value: string) {}
}
class ReplyError {
  constructor(readonly message: string) {}
}
type Resp = Buffer | Status | ReplyError | number | null | Resp[]

function encode(args: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) {
    const b = Buffer.from(a)
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

function parse(buf: Buffer, at: number): { value: Resp; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at)
  if (eol === -1) return undefined
  const type = buf[at]
  const line = buf.toString('utf8', at + 1, eol)
  if (type === 0x2b) return { value: new Status(line), next: eol + 2 } // +
  if (type === 0x2d) return { value: new ReplyError(line), next: eol + 2 } // -
  if (type === 0x3a) return { value: Number(line), next: eol + 2 } // :
  if (type === 0x24) {
    const len = Number(line)
    if (len < 0) return { value: null, next: eol + 2 }
    if (buf.length < eol + 4 + len) return undefined
    return { value: buf.subarray(eol + 2, eol + 2 + len), next: eol + 4 + len }
  }
  if (type === 0x2a) {
    const n = Number(line)
    if (n < 0) return { value: null, next: eol + 2 }
    const items: Resp[] = []
    let next = eol + 2
    for (let i = 0; i < n; i++) {
      const item = parse(buf, next)
      if (!item) return undefined
      items.push(item.value)
      next = item.next
    }
    return { value: items, next }
  }
  throw new Error(`upstash-server: unexpected RESP type ${String.fromCharCode(type!)}`)
}

/** One TCP connection to redis-server; replies arrive in order, each to its waiter (or onPush). */
class RespConnection {
  private buf = Buffer.alloc(0)
  private waiting: ((v: Resp | Error) => void)[] = []
  onPush?: (v: Resp) => void
  onClose?: () => void

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk
      let at = 0
      for (;;) {
        const r = parse(this.buf, at)
        if (!r) break
        at = r.next
        const w = this.waiting.shift()
        if (w) w(r.value)
        else this.onPush?.(r.value)
      }
      this.buf = this.buf.subarray(at)
    })
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w(new Error('redis connection closed'))
      this.onClose?.()
    })
    socket.on('error', () => {})
  }

  static open(port: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => resolve(new RespConnection(socket)))
      socket.once('error', reject)
    })
  }

  /** Writes the commands at once (so a MULTI..EXEC block stays contiguous) and awaits each reply. */
  send(commands: string[][]): Promise<Resp[]> {
    const replies = commands.map(() => new Promise<Resp>((resolve, reject) => this.waiting.push((v) => (v instanceof Error ? reject(v) : resolve(v)))))
    this.socket.write(Buffer.concat(commands.map(encode)))
    return Promise.all(replies)
  }

  /** For pub/sub connections: the subscribe confirmations and messages come as pushes. */
  write(command: string[]): void {
    this.socket.write(encode(command))
  }

  close(): void {
    this.socket.destroy()
  }
}

// ---- the HTTP side ------------------------------------------------------------------------------

type Json = string | number | null | Json[]

function toJson(v: Resp, base64: boolean): Json {
  if (v instanceof Status) return base64 && v.value !== 'OK' ? Buffer.from(v.value).toString('base64') : v.value
  if (Buffer.isBuffer(v)) return base64 ? v.toString('base64') : v.toString('utf8')
  if (Array.isArray(v)) return v.map((x) => toJson(x, base64))
  if (v instanceof ReplyError) return v.message // an error nested in a script's reply
  return v
}

function result(v: Resp, base64: boolean): { result: Json } | { error: string } {
  return v instanceof ReplyError ? { error: v.message } : { result: toJson(v, base64) }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function isCommand(x: unknown): x is (string | number | boolean)[] {
  return Array.isArray(x) && x.length > 0 && x.every((a) => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean')
}

export async function startUpstashServer(opts: { redisPort: number; token?: string }): Promise<UpstashServer> {
  const token = opts.token ?? 'test-token'
  const redis = await RespConnection.open(opts.redisPort)
  const counts = new Map<string, number>()
  const scripts = new Map<string, number>()
  const streams = new Set<{ res: ServerResponse; conn: RespConnection }>()
  let requests = 0
  let down = false

  const count = (cmd: string[]) => {
    const name = cmd[0]!.toUpperCase()
    counts.set(name, (counts.get(name) ?? 0) + 1)
    if (name === 'EVALSHA') scripts.set(cmd[1]!, (scripts.get(cmd[1]!) ?? 0) + 1)
  }

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  async function subscribe(res: ServerResponse, kind: 'subscribe' | 'psubscribe', target: string): Promise<void> {
    const conn = await RespConnection.open(opts.redisPort)
    const stream = { res, conn }
    streams.add(stream)
    count([kind])
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' })
    const text = (v: Resp) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))
    conn.onPush = (v) => {
      if (!Array.isArray(v)) return
      res.write(`data: ${v.map(text).join(',')}\n\n`)
    }
    const end = () => {
      streams.delete(stream)
      conn.close()
      res.end()
    }
    conn.onClose = end
    res.on('close', end)
    conn.write([kind.toUpperCase(), target])
  }

  const server = createServer(async (req, res) => {
    requests++
    try {
      if (down) return json(res, 503, { error: 'Service Unavailable' })
      if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { error: 'Unauthorized' })
      const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64'
      const path = new URL(req.url ?? '/', 'http://x').pathname
      const sub = /^\/(p?subscribe)\/(.+)$/.exec(path)
      if (sub) return await subscribe(res, sub[1] as 'subscribe' | 'psubscribe', decodeURIComponent(sub[2]!))
      if (req.method !== 'POST') return json(res, 405, { error: 'Method Not Allowed' })
      let body: unknown
      try {
        body = JSON.parse(await readBody(req))
      } catch {
        return json(res, 400, { error: 'ERR failed to parse request body' })
      }
      if (path === '/') {
        if (!isCommand(body)) return json(res, 400, { error: 'ERR a command is a non-empty JSON array' })
        const cmd = body.map(String)
        count(cmd)
        const [reply] = await redis.send([cmd])
        const r = result(reply!, base64)
        return json(res, 'error' in r ? 400 : 200, r)
      }
      if (path === '/pipeline' || path === '/multi-exec') {
        if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) return json(res, 400, { error: 'ERR a pipeline is a non-empty array of commands' })
        const cmds = body.map((c) => c.map(String))
        cmds.forEach(count)
        if (path === '/pipeline') return json(res, 200, (await redis.send(cmds)).map((r) => result(r, base64)))
        const replies = await redis.send([['MULTI'], ...cmds, ['EXEC']])
        const exec = replies[replies.length - 1]!
        if (!Array.isArray(exec)) return json(res, 400, { error: exec instanceof ReplyError ? exec.message : 'EXECABORT Transaction discarded' })
        return json(res, 200, exec.map((r) => result(r, base64)))
      }
      return json(res, 404, { error: 'Not Found' })
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: err instanceof Error ? err.message : String(err) })
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    counts,
    scripts,
    get requests() {
      return requests
    },
    get streams() {
      return streams.size
    },
    resetCounts() {
      counts.clear()
      scripts.clear()
      requests = 0
    },
    dropStreams() {
      for (const s of [...streams]) s.res.destroy()
    },
    setDown(d: boolean) {
      down = d
    },
    async close() {
      for (const s of [...streams]) s.res.destroy()
      redis.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
