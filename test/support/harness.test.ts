// The test harness itself: ports, child processes, redis-server, Chromium.
import { createServer } from 'node:net'
import { existsSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { launchChromium } from './browser.js'
import { freePort } from './ports.js'
import { startProcess } from './processes.js'
import { redisPing, startRedis } from './redis.js'
import { runtimeBinary } from './runtimes.js'

const NODE = process.execPath
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('freePort', () => {
  it('returns a port that can be bound on 127.0.0.1', async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
    const server = createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
    await new Promise((r) => server.close(r))
  })
})

describe('startProcess', () => {
  const server = `
    const http = require('node:http')
    const s = http.createServer((req, res) => res.end('hi'))
    process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0) })
    s.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port))
  `

  it('waits for the listening line, returns its URL, and stops with SIGTERM', async () => {
    const port = await freePort()
    const p = await startProcess(NODE, ['-e', server], { env: { PORT: String(port) } })
    expect(p.url).toBe(`http://127.0.0.1:${port}`)
    expect(await (await fetch(p.url)).text()).toBe('hi')
    const exit = await p.stop()
    expect(exit.code).toBe(0)
    expect(p.stdout()).toContain('got SIGTERM')
    expect(p.running).toBe(false)
  })

  it('SIGKILLs a child that ignores SIGTERM after the grace period', async () => {
    const p = await startProcess(
      NODE,
      ['-e', `process.on('SIGTERM', () => {}); console.log('listening on http://127.0.0.1:1'); setInterval(() => {}, 1000)`],
    )
    const t0 = Date.now()
    const exit = await p.stop(500)
    expect(exit.signal).toBe('SIGKILL')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400)
  })

  it('kill9 kills at once', async () => {
    const p = await startProcess(NODE, ['-e', `console.log('listening on http://127.0.0.1:1'); setInterval(() => {}, 1000)`])
    expect((await p.kill9()).signal).toBe('SIGKILL')
    expect(alive(p.pid)).toBe(false)
  })

  it('reports stderr when the child dies before it is ready', async () => {
    await expect(
      startProcess(NODE, ['-e', `console.error('boom: config missing'); process.exit(3)`], { name: 'dies' }),
    ).rejects.toThrow(/dies exited with code 3 before it was ready[\s\S]*boom: config missing/)
  })

  it('reports a command that cannot start', async () => {
    await expect(startProcess('/nonexistent/binary', [])).rejects.toThrow(/cannot start.*ENOENT/)
  })

  it('times out and kills a child that never gets ready', async () => {
    // A shell, not node: under a loaded CI run node itself can take over 500 ms to print its first line,
    // and the test is about the harness's timeout and report, not about node's start.
    await expect(
      startProcess('/bin/sh', ['-c', 'echo starting; exec sleep 60'], { name: 'sleeper', timeoutMs: 500 }),
    ).rejects.toThrow(/sleeper was not ready within 500 ms[\s\S]*starting/)
  })

  it('supports readyUrl', async () => {
    const port = await freePort()
    const p = await startProcess(NODE, ['-e', server.replace("console.log('listening on", "console.log('up on")], {
      env: { PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/`,
    })
    expect(p.url).toBe(`http://127.0.0.1:${port}/`)
    await p.stop()
  })
})

describe('runtimes', () => {
  it('finds the real bun and deno binaries', () => {
    for (const r of ['node', 'bun', 'deno'] as const) expect(existsSync(runtimeBinary(r))).toBe(true)
  })
})

describe('startRedis', () => {
  const servers: Array<{ destroy(): Promise<void> }> = []
  afterAll(async () => {
    for (const s of servers) await s.destroy()
  })

  it('starts redis-server on a free port, restarts it, stops it', async () => {
    const redis = await startRedis()
    servers.push(redis)
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
    expect(await redisPing(redis.port)).toBe(true)
    const firstPid = redis.pid
    await redis.restart()
    expect(redis.pid).not.toBe(firstPid)
    expect(alive(firstPid)).toBe(false)
    expect(await redisPing(redis.port)).toBe(true)
    await redis.kill9()
    expect(await redisPing(redis.port)).toBe(false)
    await redis.start()
    expect(await redisPing(redis.port)).toBe(true)
    await redis.stop()
    expect(await redisPing(redis.port)).toBe(false)
  })
})

describe('launchChromium', () => {
  it('runs a page', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.setContent('<p id="x">hello</p><script>document.title = String(1 + 1)</script>')
      expect(await page.textContent('#x')).toBe('hello')
      expect(await page.title()).toBe('2')
    } finally {
      await browser.close()
    }
  })
})
