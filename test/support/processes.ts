// Child processes for tests: servers, runtimes, redis-server.
//
//   const app = await startProcess(process.execPath, ['server.mjs'], { env: { PORT: '0' } })
//   app.url          // 'http://127.0.0.1:PORT' taken from a stdout line "listening on http://127.0.0.1:PORT"
//   await app.stop() // SIGTERM, then SIGKILL after 3 s
//   await app.kill9()
//
// Every child runs in its own process group (so wrappers and their children die together) and is
// killed when the test process exits, however it exits.
import { spawn, type ChildProcess } from 'node:child_process'
import { basename } from 'node:path'
import { createInterface } from 'node:readline'

/** Matches `listening on http://127.0.0.1:1234` (case-insensitive); group 1 is the URL. */
export const LISTENING = /listening on (https?:\/\/[^\s/]+)/i

export interface StartProcessOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  /** Ready once a stdout line matches; group 1 (or the whole match) becomes `url`. Default: LISTENING. */
  readyPattern?: RegExp
  /** Ready once a GET to this URL gets any HTTP response; `url` is this URL. */
  readyUrl?: string
  /** Ready once this resolves true (polled every 50 ms). */
  readyCheck?: () => Promise<boolean>
  /** Give up (and kill the child) after this long. Default 20 s. */
  timeoutMs?: number
  /** Name used in messages. Default: the command's basename. */
  name?: string
  /** Copy the child's output to this process's stdout/stderr (also on with TEST_VERBOSE=1). */
  echo?: boolean
}

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ChildHandle {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** From the ready line / readyUrl; '' when readiness came from readyCheck. */
  readonly url: string
  readonly exited: Promise<ExitInfo>
  readonly running: boolean
  stdout(): string
  stderr(): string
  /** Resolves with the first match of `pattern` in stdout or stderr (already seen output counts). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** SIGTERM, then SIGKILL after `graceMs` (default 3000). Resolves once the process exited. */
  stop(graceMs?: number): Promise<ExitInfo>
  /** SIGKILL now. Resolves once the process exited. */
  kill9(): Promise<ExitInfo>
}

const MAX_BUFFER = 512 * 1024
const live = new Set<ChildProcess>()

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal) // the whole process group
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

function killAll(): void {
  for (const child of live) signalGroup(child, 'SIGKILL')
  live.clear()
}

let hooksInstalled = false
function installExitHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Only take over a signal nobody else handles; then die by it as we would have.
    if (process.listenerCount(sig) > 0) continue
    const handler = () => {
      killAll()
      process.removeListener(sig, handler)
      process.kill(process.pid, sig)
    }
    process.on(sig, handler)
  }
}

function tail(text: string, max = 4000): string {
  return text.length > max ? '…' + text.slice(-max) : text
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export async function startProcess(
  cmd: string,
  args: string[] = [],
  opts: StartProcessOptions = {},
): Promise<ChildHandle> {
  installExitHooks()
  const name = opts.name ?? basename(cmd)
  const timeoutMs = opts.timeoutMs ?? 20_000
  const echo = opts.echo ?? process.env.TEST_VERBOSE === '1'
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env })) {
    if (v !== undefined) env[k] = v
  }

  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() reaches wrapper scripts' children too
  })
  live.add(child)

  let out = ''
  let err = ''
  let exitInfo: ExitInfo | undefined
  let spawnErr: Error | undefined
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const w of waiters) w()
  }

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal }
      live.delete(child)
      // Leftovers of the group (a wrapper's children): best effort.
      signalGroup(child, 'SIGKILL')
      notify()
      resolve(exitInfo)
    })
    // A command that cannot be spawned (ENOENT, EACCES) never emits 'exit'.
    child.once('error', (e) => {
      spawnErr = e
      if (child.pid !== undefined || exitInfo) return
      exitInfo = { code: null, signal: null }
      live.delete(child)
      notify()
      resolve(exitInfo)
    })
  })

  const readyPattern = opts.readyUrl || opts.readyCheck ? undefined : (opts.readyPattern ?? LISTENING)
  let readyUrlFromLine: string | undefined

  createInterface({ input: child.stdout! }).on('line', (line) => {
    out = (out + line + '\n').slice(-MAX_BUFFER)
    if (echo) process.stdout.write(`[${name}] ${line}\n`)
    if (readyPattern && readyUrlFromLine === undefined) {
      const m = line.match(readyPattern)
      if (m) readyUrlFromLine = m[1] ?? m[0]
    }
    notify()
  })
  createInterface({ input: child.stderr! }).on('line', (line) => {
    err = (err + line + '\n').slice(-MAX_BUFFER)
    if (echo) process.stderr.write(`[${name}] ${line}\n`)
    notify()
  })

  const describe = () =>
    `--- ${name} stderr ---\n${tail(err) || '(empty)'}\n--- ${name} stdout ---\n${tail(out) || '(empty)'}`

  const stop = async (graceMs = 3000): Promise<ExitInfo> => {
    if (exitInfo) return exitInfo
    signalGroup(child, 'SIGTERM')
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }
  const kill9 = async (): Promise<ExitInfo> => {
    if (exitInfo) return exitInfo
    signalGroup(child, 'SIGKILL')
    return exited
  }

  const waitForOutput = (pattern: RegExp, waitMs = timeoutMs): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = out.match(pattern) ?? err.match(pattern)
        if (m) {
          done()
          resolve(m)
        } else if (exitInfo) {
          done()
          reject(new Error(`${name} exited (${JSON.stringify(exitInfo)}) before printing ${pattern}\n${describe()}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`${name}: no output matching ${pattern} within ${waitMs} ms\n${describe()}`))
      }, waitMs)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(check)
      }
      waiters.add(check)
      check()
    })

  // ---- wait until ready
  const deadline = Date.now() + timeoutMs
  let url = ''
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const finish = (e?: Error) => {
        if (settled) return
        settled = true
        waiters.delete(check)
        clearTimeout(timer)
        if (e) reject(e)
        else resolve()
      }
      const check = () => {
        if (readyUrlFromLine !== undefined) {
          url = readyUrlFromLine
          finish()
        } else if (spawnErr && child.pid === undefined) {
          finish(new Error(`${name}: cannot start ${cmd}: ${spawnErr.message}`))
        } else if (exitInfo) {
          finish(
            new Error(
              `${name} exited with ${exitInfo.signal ?? `code ${exitInfo.code}`} before it was ready\n${describe()}`,
            ),
          )
        }
      }
      const timer = setTimeout(
        () => finish(new Error(`${name} was not ready within ${timeoutMs} ms\n${describe()}`)),
        timeoutMs,
      )
      waiters.add(check)

      const poll = async (probe: () => Promise<boolean>, onReady: () => void) => {
        while (!settled && Date.now() < deadline) {
          if (exitInfo) return check()
          let ok = false
          try {
            ok = await probe()
          } catch {
            ok = false
          }
          if (ok) {
            onReady()
            return finish()
          }
          await sleep(50)
        }
      }
      if (opts.readyUrl) {
        const target = opts.readyUrl
        void poll(
          async () => {
            const res = await fetch(target, { signal: AbortSignal.timeout(1000) })
            await res.body?.cancel()
            return true
          },
          () => (url = target),
        )
      } else if (opts.readyCheck) {
        void poll(opts.readyCheck, () => {})
      } else {
        check()
      }
    })
  } catch (e) {
    await kill9()
    throw e
  }

  return {
    name,
    pid: child.pid!,
    child,
    url,
    exited,
    get running() {
      return exitInfo === undefined
    },
    stdout: () => out,
    stderr: () => err,
    waitForOutput,
    stop,
    kill9,
  }
}
