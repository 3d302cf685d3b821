// The platform matrix: Node (this machine's), Bun and Deno (binaries from npm, in test/node_modules),
// Express, Hono, Netlify (@netlify/dev), Next.js (next build + next start) and Cloudflare Workers
// (wrangler dev: workerd from npm, offline), each serving the same
// example app (test/runtimes/app.mjs) from test/runtimes/<platform>/.
//
//   const app = await startApp('deno', 'test/runtimes/deno/serve.mjs')
//   app.url // http://127.0.0.1:PORT
//
//   for (const platform of PLATFORMS) { await platform.prepare?.(); const app = await platform.start({ env }) }
import { existsSync, realpathSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createRequire } from 'node:module'
import { arch, platform, tmpdir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { freePort } from './ports.js'
import { ROOT, TEST_DIR } from './paths.js'
import { startProcess, type ChildHandle } from './processes.js'

export type Runtime = 'node' | 'bun' | 'deno'
export const RUNTIMES: readonly Runtime[] = ['node', 'bun', 'deno']

/** The npm wrapper scripts (what a developer types). */
export const BIN = {
  node: process.execPath,
  bun: join(TEST_DIR, 'node_modules', '.bin', 'bun'),
  deno: join(TEST_DIR, 'node_modules', '.bin', 'deno'),
} as const

const requireFromTest = createRequire(join(TEST_DIR, 'package.json'))

/**
 * The real executable of a runtime. Tests spawn these rather than the .bin wrappers, which are
 * shell scripts (bun) or a Node script that spawns the binary (deno): signals must reach the
 * runtime itself.
 */
export function runtimeBinary(runtime: Runtime): string {
  if (runtime === 'node') return process.execPath
  if (runtime === 'bun') {
    // bun's postinstall puts the native binary at bin/bun.exe (also on Linux).
    const pkgDir = dirname(realpathSync(requireFromTest.resolve('bun/package.json')))
    const exe = join(pkgDir, 'bin', 'bun.exe')
    if (!existsSync(exe)) throw new Error(`bun binary missing at ${exe}: run node test/scripts/bootstrap.mjs`)
    return exe
  }
  // deno: its package links the binary next to bin.cjs on first use (postinstall not needed);
  // otherwise it lives in @deno/<platform>.
  const pkgJson = realpathSync(requireFromTest.resolve('deno/package.json'))
  const linked = join(dirname(pkgJson), 'deno')
  if (existsSync(linked)) return linked
  const target = platform() === 'linux' ? `linux-${arch()}-glibc` : `${platform()}-${arch()}`
  const exe = join(dirname(createRequire(pkgJson).resolve(`@deno/${target}/package.json`)), 'deno')
  if (!existsSync(exe)) throw new Error(`deno binary missing at ${exe}: run node test/scripts/bootstrap.mjs`)
  return exe
}

/** argv to run an entry file with a runtime. */
export function runtimeArgs(runtime: Runtime, entryFile: string): string[] {
  switch (runtime) {
    case 'node':
      return [entryFile]
    case 'bun':
      return ['run', entryFile]
    case 'deno':
      // --unstable-no-legacy-abort: Deno otherwise aborts request.signal after a complete response.
      // --no-lock: never write a deno.lock into the repo.
      return ['run', '-A', '--no-lock', '--unstable-no-legacy-abort', entryFile]
  }
}

export interface StartAppOptions {
  /** Default: a free port. */
  port?: number
  env?: Record<string, string | undefined>
  timeoutMs?: number
  echo?: boolean
}

export interface RunningApp extends ChildHandle {
  runtime: Runtime
  port: number
}

/**
 * Starts `entryFile` (relative to the repo root, or absolute) with the runtime's real binary,
 * passing PORT in the environment, and waits for its `listening on http://127.0.0.1:PORT` line.
 */
export async function startApp(runtime: Runtime, entryFile: string, opts: StartAppOptions = {}): Promise<RunningApp> {
  const port = opts.port ?? (await freePort())
  const entry = isAbsolute(entryFile) ? entryFile : resolve(ROOT, entryFile)
  const handle = await startProcess(runtimeBinary(runtime), runtimeArgs(runtime, entry), {
    name: `${runtime}:${entryFile}`,
    cwd: dirname(entry),
    env: {
      PORT: String(port),
      DENO_NO_UPDATE_CHECK: '1',
      DENO_NO_PROMPT: '1',
      BUN_DISABLE_TELEMETRY: '1',
      DO_NOT_TRACK: '1',
      ...opts.env,
    },
    timeoutMs: opts.timeoutMs ?? 30_000,
    echo: opts.echo,
  })
  return Object.assign(handle, { runtime, port })
}

// ---------------------------------------------------------------------------------------------
// Platforms: one entry each. Adding a platform = one entry here + its folder in test/runtimes/.

export interface PlatformApp extends ChildHandle {
  /** http://127.0.0.1:PORT */
  url: string
}

export interface Platform {
  name: string
  /** Where the app mounts the handler (the client's url is app.url + path). */
  path: string
  /**
   * The matrix's maxStreamDuration here (default 1500 ms). Netlify's local emulator starts a new
   * worker per invocation (~2.5 s each on 2 cores), so its streams must live longer than that.
   */
  maxStreamDuration?: number
  /** Slow platforms run from test/runtimes/<ownFile>.test.ts, in parallel with the rest. */
  ownFile?: 'netlify' | 'next' | 'workers'
  /**
   * The store the app is given (default 'redis': REDIS_URL). 'upstash' where there is no TCP (Workers,
   * Edge): the test Upstash server (support/upstash-server.ts) in front of the same redis-server, as
   * UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN.
   */
  store?: 'redis' | 'upstash'
  /** One-time work before any instance starts (a build); its duration is reported apart. */
  prepare?: (env: Record<string, string>) => Promise<void>
  /** Starts one instance on a free loopback port with `env` added to the environment. */
  start: (env: Record<string, string>) => Promise<PlatformApp>
}

const RUNTIME_ENV = {
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
  BUN_DISABLE_TELEMETRY: '1',
  DO_NOT_TRACK: '1',
  NEXT_TELEMETRY_DISABLED: '1',
  NETLIFY_TELEMETRY_DISABLED: '1',
}

const APPS = join(TEST_DIR, 'runtimes')

/** An entry file that prints `listening on http://127.0.0.1:PORT` itself. */
function entry(runtime: Runtime, file: string): Platform['start'] {
  return async (env) => {
    const app = await startApp(runtime, join(APPS, file), { env })
    return app
  }
}

/** A command that serves on PORT and prints nothing we can rely on: ready once it answers HTTP. */
function command(name: string, cmd: string, args: (port: number) => string[], cwd: string, path: string): Platform['start'] {
  return async (env) => {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    return startProcess(cmd, args(port), {
      name,
      cwd,
      env: { ...RUNTIME_ENV, PORT: String(port), ...env },
      readyUrl: `${url}${path}/`,
      timeoutMs: 60_000,
    }).then((h) => Object.assign(h, { url }))
  }
}

const NEXT_DIR = join(APPS, 'next')
const WORKERS_DIR = join(APPS, 'workers')
const wranglerBin = () => join(dirname(realpathSync(requireFromTest.resolve('wrangler/package.json'))), 'bin', 'wrangler.js')

/**
 * `wrangler dev` (local mode: workerd, offline) on the worker in test/runtimes/workers/, the app's
 * environment passed as Worker vars (process.env there, through nodejs_compat).
 */
async function startWorker(env: Record<string, string>): Promise<PlatformApp> {
  const [port, inspector] = [await freePort(), await freePort()]
  const url = `http://127.0.0.1:${port}`
  const vars = Object.entries(env).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  const args = [wranglerBin(), 'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)]
  args.push('--show-interactive-dev-session=false', '--log-level', 'warn', ...vars)
  const handle = await startProcess(process.execPath, args, {
    name: 'wrangler dev',
    cwd: WORKERS_DIR,
    // Offline: no metrics, and no fetch of Cloudflare's `request.cf` sample (workers.cloudflare.com);
    // its logs go to the temp dir, not ~/.config.
    env: {
      ...RUNTIME_ENV,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(tmpdir(), 'wrangler-logs'),
      CI: '1',
    },
    readyUrl: `${url}/socket/`,
    timeoutMs: 60_000,
  })
  return Object.assign(handle, { url })
}
const nextBin = () => join(dirname(realpathSync(requireFromTest.resolve('next/package.json'))), 'dist', 'bin', 'next')

let nextBuild: Promise<void> | undefined
/**
 * One `next build` for both Next.js routes (Node and Edge), once per test process. Every store is
 * named and unreachable during the build: route modules are evaluated, and must not connect.
 */
function buildNext(): Promise<void> {
  const closed = { REDIS_URL: 'redis://127.0.0.1:1', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 'none' }
  return (nextBuild ??= promisify(execFile)(process.execPath, [nextBin(), 'build'], {
    cwd: NEXT_DIR,
    env: { ...process.env, ...RUNTIME_ENV, ...closed },
    timeout: 300_000,
    maxBuffer: 16 * 1024 * 1024,
  }).then(() => undefined))
}

export const PLATFORMS: readonly Platform[] = [
  { name: 'node:http', path: '/socket', start: entry('node', 'node/server.mjs') },
  { name: 'express', path: '/socket', start: entry('node', 'express/server.mjs') },
  { name: 'hono (@hono/node-server)', path: '/socket', start: entry('node', 'hono/server.mjs') },
  { name: 'bun (Bun.serve)', path: '/socket', start: entry('bun', 'bun/serve.mjs') },
  {
    name: 'bun (export default io)',
    path: '/socket',
    // Bun serves the default export itself, on PORT (all interfaces: Bun's default).
    start: (env) => command('bun default', runtimeBinary('bun'), () => ['run', 'default.mjs'], join(APPS, 'bun'), '/socket')(env),
  },
  { name: 'deno (Deno.serve)', path: '/socket', start: entry('deno', 'deno/serve.mjs') },
  {
    name: 'deno (deno serve)',
    path: '/socket',
    start: (env) =>
      command(
        'deno serve',
        runtimeBinary('deno'),
        (port) => ['serve', '-A', '--no-lock', '--unstable-no-legacy-abort', '--host', '127.0.0.1', '--port', String(port), 'default.mjs'],
        join(APPS, 'deno'),
        '/socket',
      )(env),
  },
  { name: 'netlify (@netlify/dev, Functions v2)', path: '/socket', maxStreamDuration: 6000, ownFile: 'netlify', start: entry('node', 'netlify/dev.mjs') },
  {
    name: 'next.js (next build + next start)',
    path: '/api/socket',
    ownFile: 'next',
    prepare: buildNext,
    start: (env) =>
      command('next start', process.execPath, (port) => [nextBin(), 'start', '-p', String(port), '-H', '127.0.0.1'], NEXT_DIR, '/api/socket')(env),
  },
  {
    // The same app and build: its Edge route, on the Upstash store.
    name: 'next.js edge runtime (next build + next start)',
    path: '/api/edge-socket',
    ownFile: 'next',
    store: 'upstash',
    prepare: buildNext,
    start: (env) =>
      command('next start (edge)', process.execPath, (port) => [nextBin(), 'start', '-p', String(port), '-H', '127.0.0.1'], NEXT_DIR, '/api/edge-socket')(env),
  },
  { name: 'cloudflare workers (wrangler dev, workerd)', path: '/socket', ownFile: 'workers', store: 'upstash', start: startWorker },
]
