// The packages as a user gets them: `pnpm pack` tarballs of every public package (what `pnpm
// publish` uploads), checked by publint and @arethetypeswrong/cli, then installed into scratch
// projects outside the repository with npm, pnpm, Bun and Deno, where a server and two clients
// (scratch-app.mjs) make a round trip on a real Redis through the installed code only.
//
// The release uses pnpm: `npm pack` would leave `workspace:*` in socket-serve's dependencies (the
// packages' prepack scripts refuse npm for that reason). A local tarball's own dependency on
// another local tarball is not on the registry yet, so each scratch project points it at the
// tarball with its package manager's overrides; hono and ioredis come from the package manager's
// cache (the registry when the cache lacks them). Deno reads the node_modules npm installed
// (`nodeModulesDir: "manual"`) and imports with `npm:` specifiers.
import { execFile, type ExecFileOptions } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, TEST_DIR } from '../support/paths.js'
import { startRedis, type RedisServer } from '../support/redis.js'
import { runtimeBinary } from '../support/runtimes.js'

const run = promisify(execFile)
// pnpm as bootstrap.mjs finds it: on PATH (CI installs it), else the workspace's pinned version via npx.
const PNPM_VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager.replace(/^pnpm@/, '')
const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, cmd)))
const pnpm = (args: string[], opts: ExecFileOptions) =>
  onPath('pnpm') ? run('pnpm', args, opts) : run('npx', ['--yes', `pnpm@${PNPM_VERSION}`, ...args], opts)
const PACKAGES = [
  { dir: 'handler', name: 'socket-serve' },
  { dir: 'client', name: '@socket-serve/client' },
  { dir: 'inspector-ui', name: '@socket-serve/inspector' },
] as const
type PackageName = (typeof PACKAGES)[number]['name']

const work = mkdtempSync(join(tmpdir(), 'socket-serve-packaging-'))
const tarballs = {} as Record<PackageName, string>
const manifests = {} as Record<PackageName, Record<string, any>>
const quiet = { ...process.env, NO_COLOR: '1', DO_NOT_TRACK: '1', BUN_DISABLE_TELEMETRY: '1', DENO_NO_UPDATE_CHECK: '1', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }
const bin = (name: string) => join(TEST_DIR, 'node_modules', '.bin', name)
const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
  const t0 = Date.now()
  try {
    return await fn()
  } finally {
    console.log(`[packaging] ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
}

/** `tar tzf` and one file's text out of a tarball. */
const list = async (tgz: string) => (await run('tar', ['tzf', tgz])).stdout.split('\n').filter(Boolean)
const readFromTarball = async (tgz: string, path: string) => (await run('tar', ['xzOf', tgz, path], { maxBuffer: 8e6 })).stdout

beforeAll(async () => {
  await timed('pnpm pack x3', async () => {
    for (const { dir, name } of PACKAGES) {
      // pnpm prints the tarball's path last.
      const { stdout } = await pnpm(['pack', '--pack-destination', work], { cwd: join(ROOT, dir), env: quiet })
      tarballs[name] = String(stdout).trim().split('\n').at(-1)!.trim()
      manifests[name] = JSON.parse(await readFromTarball(tarballs[name], 'package/package.json'))
    }
  })
}, 300_000)

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the packed tarballs', () => {
  it('carry README.md and the MIT LICENSE, a 1.0.0 pre-release version, no workspace: ranges and no tests', async () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8')
    expect(license).toMatch(/^MIT License/)
    for (const { name } of PACKAGES) {
      const files = await list(tarballs[name])
      expect(files, name).toContain('package/README.md')
      expect(files, name).toContain('package/LICENSE')
      expect(await readFromTarball(tarballs[name], 'package/LICENSE'), name).toBe(license)
      expect(files.filter((f) => /\.test\.tsx?$/.test(f)), name).toEqual([])
      const manifest = manifests[name]
      expect(manifest.license).toBe('MIT')
      // socket-serve 0.6.0 on npm is the project this one succeeds: ours is its next major.
      expect(manifest.version, name).toMatch(/^1\.0\.0-(alpha|beta|rc)\.\d+$/)
      expect(JSON.stringify(manifest), name).not.toContain('workspace:')
    }
    // The client and the server are released together, the server pinned to its client.
    expect(manifests['@socket-serve/client'].version).toBe(manifests['socket-serve'].version)
    expect(manifests['socket-serve'].dependencies['@socket-serve/client']).toBe(manifests['@socket-serve/client'].version)
  })

  it('pass publint (strict)', async () => {
    for (const { name } of PACKAGES) {
      const { stdout } = await run(bin('publint'), ['run', tarballs[name], '--strict'], { env: quiet })
      console.log(`[packaging] publint ${name}: ${stdout.trim().split('\n').at(-1)}`)
    }
  })

  // ESM-only packages: a CommonJS `require()` of them is reported by attw as a problem of its own
  // (cjs-resolves-to-esm); every other resolution (node10 with typesVersions, node16 from ESM,
  // bundler) must find types.
  it('pass @arethetypeswrong/cli under node10, node16 and bundler resolution', async () => {
    const reports = await timed('attw x3', () =>
      Promise.all(
        PACKAGES.map(({ name }) =>
          run(bin('attw'), [tarballs[name], '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped'], { env: quiet }).then((r) => r.stdout),
        ),
      ),
    )
    for (const report of reports) {
      console.log(`[packaging] attw:\n${report.trim()}`)
      expect(report).not.toMatch(/💀|❌/)
    }
  }, 300_000) // about 10 s of CPU per package (a TypeScript program per entry point and mode)
})

const MANAGERS = ['npm', 'pnpm', 'bun', 'deno'] as const
type Manager = (typeof MANAGERS)[number]

describe('installed into scratch projects', () => {
  const dirs = {} as Record<Manager, string>
  let redis: RedisServer

  /** package.json of a scratch project whose dependencies are the tarballs. */
  const scratch = (manager: Manager, extra: Record<PackageName, string> | {} = {}) => {
    const dir = join(work, manager)
    const client = `file:${tarballs['@socket-serve/client']}`
    const override = { '@socket-serve/client': manager === 'npm' ? '$@socket-serve/client' : client }
    const manifest = {
      name: `scratch-${manager}`,
      private: true,
      type: 'module',
      dependencies: { 'socket-serve': `file:${tarballs['socket-serve']}`, '@socket-serve/client': client, ...extra },
      ...(manager === 'pnpm' ? { pnpm: { overrides: override } } : { overrides: override }),
    }
    cpSync(join(TEST_DIR, 'packaging', 'scratch-app.mjs'), join(dir, 'app.mjs'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
    dirs[manager] = dir
    return dir
  }

  beforeAll(async () => {
    redis = await startRedis()
    const npmDir = scratch('npm')
    // pnpm also installs the inspector (with its React peers) to check it resolves and imports.
    const pnpmDir = scratch('pnpm', { '@socket-serve/inspector': `file:${tarballs['@socket-serve/inspector']}`, react: '^19.0.0', 'react-dom': '^19.0.0' })
    const bunDir = scratch('bun')
    const installs = [
      timed('npm install', () => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: npmDir, env: quiet, timeout: 180_000 })),
      timed('pnpm install', () => pnpm(['install', '--prefer-offline', '--reporter=silent'], { cwd: pnpmDir, env: quiet, timeout: 180_000 })),
      timed('bun install', () => run(runtimeBinary('bun'), ['install'], { cwd: bunDir, env: quiet, timeout: 180_000 })),
    ]
    await Promise.all(installs)
    // Deno: bring-your-own node_modules (npm's), read through npm: specifiers.
    const denoDir = join(work, 'deno')
    cpSync(join(npmDir, 'node_modules'), join(denoDir, 'node_modules'), { recursive: true })
    cpSync(join(TEST_DIR, 'packaging', 'scratch-app.mjs'), join(denoDir, 'app.mjs'))
    const versions = { 'socket-serve': manifests['socket-serve'].version, '@socket-serve/client': manifests['@socket-serve/client'].version }
    writeFileSync(join(denoDir, 'package.json'), JSON.stringify({ type: 'module', dependencies: versions }))
    writeFileSync(join(denoDir, 'deno.json'), JSON.stringify({ nodeModulesDir: 'manual' }))
    dirs.deno = denoDir
  }, 400_000)

  afterAll(() => redis?.destroy())

  it('install the tarballs themselves: one copy of the client, outside the repository', () => {
    for (const manager of MANAGERS) {
      const modules = join(dirs[manager], 'node_modules')
      for (const name of ['socket-serve', '@socket-serve/client'] as const) {
        const installed = realpathSync(join(modules, name))
        expect(installed.startsWith(ROOT), `${manager}: ${installed}`).toBe(false)
        expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version).toBe(manifests[name].version)
      }
      // socket-serve/client re-exports @socket-serve/client: a second copy would split
      // `instanceof SocketServeError` and the devtools hook.
      const nested = join(realpathSync(join(modules, 'socket-serve')), 'node_modules', '@socket-serve')
      expect(existsSync(nested) && readdirSync(nested).length > 0, manager).toBe(false)
    }
  })

  it.each(MANAGERS)('%s: a server and two clients make a round trip on Redis', async (manager) => {
    const runtime = manager === 'bun' || manager === 'deno' ? manager : 'node'
    const args = { node: ['app.mjs'], bun: ['run', 'app.mjs'], deno: ['run', '-A', '--no-lock', '--unstable-no-legacy-abort', 'app.mjs'] }[runtime]
    const { stdout } = await timed(`${manager} round trip (${runtime})`, () =>
      run(runtimeBinary(runtime), args, { cwd: dirs[manager], env: { ...quiet, REDIS_URL: redis.url }, timeout: 100_000 }),
    )
    const result = JSON.parse(stdout.split('\n').find((line) => line.startsWith('RESULT '))!.slice(7))
    expect(result).toEqual({ runtime, store: 'redis', welcomed: [true, true], echo: { n: 1 }, news: [1, 1] })
  }, 120_000)

  it('pnpm: the inspector package imports, with React as a peer', async () => {
    const script = `const m = await import('@socket-serve/inspector'); const e = await import('@socket-serve/inspector/embed'); console.log(typeof m.mountInspector, typeof m.Inspector, typeof e.mountInspector)`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dirs.pnpm, env: quiet })
    expect(stdout.trim()).toBe('function function function')
    expect(manifests['@socket-serve/inspector'].peerDependencies).toMatchObject({ react: expect.any(String), 'react-dom': expect.any(String) })
  })

  // Projects still on `moduleResolution: "node"` (node10) read no `exports`: typesVersions maps
  // every subpath to its types.
  it('TypeScript finds every entry point under moduleResolution "node"', async () => {
    const dir = dirs.npm
    writeFileSync(
      join(dir, 'types.ts'),
      [
        `import { serve } from 'socket-serve'`,
        `import { redisStore } from 'socket-serve/redis'`,
        `import { upstashStore } from 'socket-serve/upstash'`,
        `import { connect } from 'socket-serve/client'`,
        `import { connect as connect2, SocketServeError } from '@socket-serve/client'`,
        `import * as protocol from '@socket-serve/client/protocol'`,
        `import * as sse from '@socket-serve/client/sse'`,
        `const io = serve({ store: redisStore('redis://127.0.0.1:6379') })`,
        `io.onMessage('echo', (socket, data) => data)`,
        `export const all = [io, upstashStore, connect, connect2, SocketServeError, protocol, sse]`,
        '',
      ].join('\n'),
    )
    const options = { compilerOptions: { module: 'esnext', moduleResolution: 'node', target: 'es2022', lib: ['es2022', 'dom'], strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['types.ts'] }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(options))
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await timed('tsc (node10)', () => run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir }).catch((e) => e))
    // Without typesVersions: TS2307 "Cannot find module 'socket-serve/redis'" for every subpath.
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('')
  }, 120_000)
})
