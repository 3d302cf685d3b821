#!/usr/bin/env node
// Makes a fresh clone ready to build and test. Plain Node ESM, no dependencies.
//
//   node test/scripts/bootstrap.mjs            pnpm install when node_modules is missing or stale
//   node test/scripts/bootstrap.mjs --system   also ensure redis-server and /usr/bin/chromium
//                                              (apt-get install as root; otherwise explain and exit 1)
//
// With CI=true the install is `pnpm install --frozen-lockfile`.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync, utimesSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const PNPM_VERSION = '10.34.9'
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const args = new Set(process.argv.slice(2))
const wantSystem = args.has('--system')
const isCI = /^(1|true)$/i.test(process.env.CI ?? '')

const log = (msg) => console.log(`[bootstrap] ${msg}`)
function fail(msg) {
  console.error(`[bootstrap] ERROR: ${msg}`)
  process.exit(1)
}

/** Runs a command; returns { ok, status, stdout, stderr } (captured when quiet). */
function run(cmd, argv, { quiet = false, env, cwd = ROOT } = {}) {
  const r = spawnSync(cmd, argv, {
    cwd,
    env: env ? { ...process.env, ...env } : process.env,
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  return {
    ok: !r.error && r.status === 0,
    status: r.status,
    error: r.error,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
  }
}

const onPath = (bin) => run('sh', ['-c', `command -v ${bin}`], { quiet: true }).ok
const tail = (text, lines = 30) => text.trim().split('\n').slice(-lines).join('\n')

// ---------------------------------------------------------------- node_modules
function installReason() {
  const modulesYaml = join(ROOT, 'node_modules', '.modules.yaml')
  if (!existsSync(join(ROOT, 'node_modules'))) return 'node_modules is missing'
  if (!existsSync(modulesYaml)) return 'node_modules/.modules.yaml is missing'
  if (!existsSync(join(ROOT, 'test', 'node_modules'))) return 'test/node_modules is missing'
  const lock = join(ROOT, 'pnpm-lock.yaml')
  if (existsSync(lock) && statSync(lock).mtimeMs > statSync(modulesYaml).mtimeMs) {
    return 'pnpm-lock.yaml is newer than node_modules'
  }
  return null
}

function pnpmCommand() {
  if (onPath('pnpm')) return { cmd: 'pnpm', pre: [] }
  return { cmd: 'npx', pre: ['--yes', `pnpm@${PNPM_VERSION}`] }
}

function pnpm(argv, opts) {
  const { cmd, pre } = pnpmCommand()
  log(`$ ${[cmd, ...pre, ...argv].join(' ')}`)
  return run(cmd, [...pre, ...argv], opts)
}

const reason = installReason()
if (reason) {
  log(`installing dependencies (${reason})`)
  const r = pnpm(isCI ? ['install', '--frozen-lockfile'] : ['install'])
  if (!r.ok) fail('pnpm install failed (see above)')
  // pnpm leaves .modules.yaml alone when nothing changed; mark node_modules fresh so the
  // lockfile check does not install again on every run.
  const modulesYaml = join(ROOT, 'node_modules', '.modules.yaml')
  if (existsSync(modulesYaml)) {
    const now = new Date()
    utimesSync(modulesYaml, now, now)
  }
} else {
  log('node_modules is up to date')
}

// ---------------------------------------------------------------- runtime binaries from npm
// Bun's npm package places its binary in a postinstall script (allowed via onlyBuiltDependencies
// in pnpm-workspace.yaml). Deno's does not need its postinstall: bin.cjs finds the binary in
// @deno/<platform> on first use.
function checkRuntime(name, { rebuild }) {
  const bin = join(ROOT, 'test', 'node_modules', '.bin', name)
  const probe = () => run(bin, ['--version'], { quiet: true })
  let r = probe()
  if (!r.ok && rebuild) {
    log(`${name} binary does not run; rebuilding it`)
    pnpm(['--filter', '@socket-serve/test', 'rebuild', name])
    r = probe()
  }
  if (!r.ok) {
    fail(
      `test/node_modules/.bin/${name} --version failed: ${tail(r.stderr || String(r.error ?? ''), 10)}\n` +
        `  try: rm -rf node_modules */node_modules && pnpm install`,
    )
  }
  log(`${name} ${r.stdout.trim().split('\n')[0].replace(/^deno /, '')}`)
}
checkRuntime('bun', { rebuild: true })
checkRuntime('deno', { rebuild: false })

// ---------------------------------------------------------------- system packages (--system)
if (wantSystem) {
  const missing = []
  if (!onPath('redis-server')) missing.push('redis-server')
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium')
  if (missing.length === 0) {
    log('system packages present: redis-server, /usr/bin/chromium')
  } else {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
    const aptCmd = `apt-get update && apt-get install -y ${missing.join(' ')}`
    if (!isRoot) {
      fail(
        `missing system packages needed by the tests: ${missing.join(', ')}\n` +
          `  install them as root (Debian/Ubuntu):  sudo sh -c '${aptCmd}'\n` +
          `  then run npm test again.`,
      )
    }
    if (!onPath('apt-get')) {
      fail(`missing system packages ${missing.join(', ')} and no apt-get on this machine: install them yourself`)
    }
    const env = { DEBIAN_FRONTEND: 'noninteractive' }
    log('apt-get update')
    let r = run('apt-get', ['update', '-qq'], { quiet: true, env })
    if (!r.ok) fail(`apt-get update failed:\n${tail(r.stdout + r.stderr)}`)
    log(`apt-get install -y ${missing.join(' ')} (takes a minute)`)
    r = run('apt-get', ['install', '-y', '-qq', ...missing], { quiet: true, env })
    if (!r.ok) fail(`apt-get install failed:\n${tail(r.stdout + r.stderr)}`)
    const still = []
    if (!onPath('redis-server')) still.push('redis-server')
    if (!existsSync('/usr/bin/chromium')) still.push('/usr/bin/chromium')
    if (still.length) fail(`still missing after apt-get install: ${still.join(', ')}`)
    log(`installed ${missing.join(', ')}`)
  }
}

log('ready')
