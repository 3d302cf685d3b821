// A real redis-server (Debian package) on a free loopback port, per test file.
//
//   const redis = await startRedis()
//   serve({ redisUrl: redis.url })
//   await redis.restart()   // same port, same data dir (data survives with { appendonly: true })
//   await redis.stop()
//
//   const cluster = await startRedisCluster()   // 3 masters, all 16384 slots, cluster_state:ok
//   redisStore(cluster.nodes)                   // [{ host: '127.0.0.1', port }, ...]
//   await cluster.stop()
//
//   await redisCommand(port, 'INFO', 'commandstats')   // one raw RESP command, no client library
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { outputDir } from './paths.js'
import { freePort } from './ports.js'
import { startProcess, type ChildHandle } from './processes.js'

export interface StartRedisOptions {
  /** Persist with an append-only file, so data survives restart(). Default false. */
  appendonly?: boolean
  /** Default: a free port. */
  port?: number
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[]
  timeoutMs?: number
}

export interface RedisServer {
  url: string
  port: number
  /** PID of the redis-server process itself. */
  readonly pid: number
  readonly process: ChildHandle
  stop(): Promise<void>
  /** SIGKILL: a crash, not a shutdown. */
  kill9(): Promise<void>
  /** Stop, then start again on the same port and data dir. */
  restart(): Promise<void>
  /** Start again after stop()/kill9(). */
  start(): Promise<void>
  /** Stop and remove the data dir. */
  destroy(): Promise<void>
  /** The data dir (under test-output/redis/). */
  dir: string
}

/** Resolves true when a raw RESP PING on 127.0.0.1:port answers +PONG. */
export function redisPing(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let data = ''
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'))
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
      if (data.includes('\r\n')) done(data.startsWith('+PONG'))
    })
    socket.once('error', () => done(false))
    socket.once('close', () => done(false))
  })
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort())
  const dir = mkdtempSync(join(outputDir('redis'), `redis-${port}-`))
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', opts.appendonly ? 'yes' : 'no',
    '--dir', dir,
    '--daemonize', 'no',
    '--protected-mode', 'no',
    ...(opts.args ?? []),
  ]

  let proc: ChildHandle | undefined
  const start = async () => {
    if (proc?.running) return
    proc = await startProcess('redis-server', args, {
      name: `redis-server:${port}`,
      readyCheck: () => redisPing(port, 500),
      timeoutMs: opts.timeoutMs ?? 15_000,
    })
  }
  await start()

  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return proc!.pid
    },
    get process() {
      return proc!
    },
    async stop() {
      await proc?.stop()
    },
    async kill9() {
      await proc?.kill9()
    },
    async restart() {
      await proc?.stop()
      await start()
    },
    start,
    async destroy() {
      await proc?.stop()
      rmSync(dir, { recursive: true, force: true })
    },
    dir,
  }
  return server
}

// ---- raw RESP commands ------------------------------------------------------------------------

export type RespValue = string | number | null | RespValue[] | RespError

export class RespError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RespError'
  }
}

function encodeCommand(args: (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)]
  for (const a of args) {
    const b = Buffer.from(String(a))
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'))
  }
  return Buffer.concat(parts)
}

/** Parses one RESP2 value at `at`; undefined when the buffer does not hold all of it yet. */
function parseResp(buf: Buffer, at: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at)
  if (eol === -1) return undefined
  const type = String.fromCharCode(buf[at]!)
  const line = buf.toString('utf8', at + 1, eol)
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 }
    case '-':
      return { value: new RespError(line), next: eol + 2 }
    case ':':
      return { value: Number(line), next: eol + 2 }
    case '$': {
      const len = Number(line)
      if (len < 0) return { value: null, next: eol + 2 }
      if (buf.length < eol + 2 + len + 2) return undefined
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), next: eol + 2 + len + 2 }
    }
    case '*': {
      const n = Number(line)
      if (n < 0) return { value: null, next: eol + 2 }
      const items: RespValue[] = []
      let next = eol + 2
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, next)
        if (!item) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new Error(`redisCommand: unexpected RESP type ${JSON.stringify(type)}`)
  }
}

/**
 * Sends one command to 127.0.0.1:port on a fresh connection and resolves with its reply
 * (an error reply rejects). No client library: the tests measure ioredis, so they do not use it.
 */
export function redisCommand(port: number, ...args: (string | number)[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let buf = Buffer.alloc(0)
    let settled = false
    const done = (err: Error | undefined, value?: RespValue) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(value as RespValue)
    }
    const timer = setTimeout(() => done(new Error(`redisCommand ${args[0]} on :${port}: no reply within 5 s`)), 5000)
    socket.once('connect', () => socket.write(encodeCommand(args)))
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      let parsed: ReturnType<typeof parseResp>
      try {
        parsed = parseResp(buf, 0)
      } catch (e) {
        return done(e as Error)
      }
      if (!parsed) return
      if (parsed.value instanceof RespError) done(new RespError(`${args[0]} on :${port}: ${parsed.value.message}`))
      else done(undefined, parsed.value)
    })
    socket.once('error', (e) => done(e))
    socket.once('close', () => done(new Error(`redisCommand ${args[0]} on :${port}: connection closed`)))
  })
}

/** `INFO <section>` as a map of field -> value. */
export async function redisInfo(port: number, section: string): Promise<Map<string, string>> {
  const text = String(await redisCommand(port, 'INFO', section))
  const out = new Map<string, string>()
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':')
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1))
  }
  return out
}

// ---- Redis Cluster --------------------------------------------------------------------------------

export interface RedisClusterNode {
  host: string
  port: number
}

export interface RedisCluster {
  /** The masters, for `new Cluster(nodes)` / `redisStore(nodes)`. */
  nodes: RedisClusterNode[]
  /** The redis-server processes, in the order of `nodes`. */
  servers: RedisServer[]
  /** Stops every node and removes their data dirs. */
  stop(): Promise<void>
}

export interface StartRedisClusterOptions {
  /** Number of masters (default 3; Redis needs at least 3). */
  masters?: number
  /** Give up after this long (default 30 s). */
  timeoutMs?: number
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}\n${stdout}`))
      else resolve(stdout)
    })
  })
}

/**
 * A local Redis Cluster: `masters` redis-servers with --cluster-enabled on free loopback ports
 * (each with its own nodes.conf in its data dir), joined with `redis-cli --cluster create
 * --cluster-replicas 0`, resolved once `CLUSTER INFO` says cluster_state:ok on every node.
 */
export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3
  const timeoutMs = opts.timeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  const servers: RedisServer[] = []
  const stop = async () => {
    await Promise.all(servers.map((s) => s.destroy()))
  }
  try {
    for (let i = 0; i < masters; i++) {
      // startRedis makes the data dir before it starts: nodes.conf goes there (a path relative to --dir).
      servers.push(
        await startRedis({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
          timeoutMs,
        }),
      )
    }
    const addrs = servers.map((s) => `127.0.0.1:${s.port}`)
    await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], timeoutMs)
    for (;;) {
      const states = await Promise.all(
        servers.map(async (s) => {
          try {
            const info = String(await redisCommand(s.port, 'CLUSTER', 'INFO'))
            return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)
          } catch {
            return false
          }
        }),
      )
      if (states.every(Boolean)) break
      if (Date.now() > deadline) throw new Error(`redis cluster on ${addrs.join(' ')}: cluster_state is not ok on every node within ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 100))
    }
  } catch (e) {
    await stop()
    throw e
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    servers,
    stop,
  }
}
