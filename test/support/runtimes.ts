// The runtime matrix: Node (this machine's), Bun and Deno (binaries from npm, in test/node_modules).
//
//   const app = await startApp('deno', 'test/apps/smoke/deno.mjs')
//   app.url // http://127.0.0.1:PORT
import { existsSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { arch, platform } from 'node:os'
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
