// The platform emulator itself (test/support/platform.ts), with a bare function
// (test/apps/serverless/probe.mjs): what the serverless suites rely on.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { outputDir, TEST_DIR } from './paths.js'
import { startPlatform, type Platform, type PlatformOptions } from './platform.js'

const PROBE = join(TEST_DIR, 'apps', 'serverless', 'probe.mjs')
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let platform: Platform | undefined
afterEach(async () => {
  await platform?.close()
  platform = undefined
})

async function start(opts: Omit<PlatformOptions, 'env'> = {}): Promise<Platform> {
  platform = await startPlatform({ pool: 1, ...opts, env: { FUNCTION_MODULE: PROBE } })
  return platform
}

const text = async (url: string, init?: RequestInit) => (await fetch(url, init)).text()

describe('platform emulator', () => {
  it('concurrency 1: every request is a cold start on a fresh process, SIGKILLed once it has answered', async () => {
    const p = await start({ concurrency: 1 })
    const pids = [await text(`${p.url}/pid`), await text(`${p.url}/pid`), await text(`${p.url}/pid`)].map(Number)
    expect(new Set(pids).size).toBe(3)
    await sleep(100)
    expect(pids.map(alive)).toEqual([false, false, false])
    expect(p.counts).toMatchObject({ coldStarts: 3, kills: 3, requests: { '/pid': 3 } })
  })

  it('nothing runs after the answer: neither a timer nor ctx.waitUntil work', async () => {
    const p = await start()
    const file = join(outputDir('platform'), `later-${process.pid}-${Date.now()}.txt`)
    await text(`${p.url}/later?file=${encodeURIComponent(file)}`)
    await sleep(800)
    expect(existsSync(file) ? readFileSync(file, 'utf8') : '').toBe('')
  })

  it('concurrency > 1: overlapping requests share an instance; a bounded life drains it', async () => {
    const p = await start({ concurrency: 4, lifetime: [3, 3] })
    const pids = (await Promise.all([1, 2, 3, 4, 5].map(() => text(`${p.url}/slow?ms=1000`)))).map(Number)
    // Three requests fit in the first instance's life; the other two start a second one.
    expect([...new Set(pids)].map((pid) => pids.filter((x) => x === pid).length).sort()).toEqual([2, 3])
    expect(p.counts.coldStarts).toBe(2)
  })

  it('streams flow chunk by chunk; a client that goes away ends the instance', async () => {
    const p = await start()
    const res = await fetch(`${p.url}/stream?n=50`)
    const reader = res.body!.getReader()
    const first = new TextDecoder().decode((await reader.read()).value)
    const firstAt = Date.now()
    expect(first).toMatch(/^data: 0 /)
    // The first chunk was here before the function wrote its last one (400 ms after the first).
    let rest = ''
    while (!rest.includes('data: 4 ')) rest += new TextDecoder().decode((await reader.read()).value)
    const lastWritten = Number(/data: 4 (\d+)/.exec(rest)![1])
    expect(firstAt).toBeLessThan(lastWritten)
    const inst = p.holding('/stream')[0]!
    await reader.cancel()
    await sleep(300)
    expect(alive(inst.pid)).toBe(false)
    expect(p.log.at(-1)).toMatchObject({ route: '/stream', outcome: 'client-gone' })
  })

  it('lost responses: the instance answered, the client sees a network error; the seed decides which', async () => {
    const outcomes: string[][] = []
    for (const seed of [1, 1]) {
      const p = await start({ lostResponses: 0.5, seed })
      const got: string[] = []
      for (let i = 0; i < 6; i++) got.push(await fetch(`${p.url}/pid`, { method: 'POST' }).then(() => 'ok', () => 'network error'))
      expect(p.counts.lostResponses).toBe(got.filter((g) => g !== 'ok').length)
      expect(p.log.filter((e) => e.outcome === 'lost').every((e) => e.status === 200)).toBe(true)
      outcomes.push(got)
      await p.close()
    }
    expect(outcomes[0]).toEqual(outcomes[1])
    expect(outcomes[0]).toContain('ok')
    expect(outcomes[0]).toContain('network error')
  })

  it('cutNext: the client loses the connection, the instance runs the request to its end', async () => {
    const p = await start()
    p.cutNext('/slow', 100)
    await expect(fetch(`${p.url}/slow?ms=1500`, { method: 'POST' })).rejects.toThrow()
    const inst = p.instances.find((i) => i.routes['/slow'])!
    expect(alive(inst.pid)).toBe(true) // still running the handler
    // It finishes the 1.5 s handler, then goes (bounded wait: a loaded machine stretches it).
    for (const end = Date.now() + 15_000; alive(inst.pid) && Date.now() < end; ) await sleep(100)
    expect(alive(inst.pid)).toBe(false)
    expect(p.log[0]).toMatchObject({ outcome: 'cut', status: 200 })
  })

  it('kill9 cuts what the instance was serving; maxDuration cuts a request that runs too long', async () => {
    const p = await start({ maxDuration: 400 })
    const res = await fetch(`${p.url}/stream?n=50`)
    const reader = res.body!.getReader()
    await reader.read()
    await p.kill9(p.holding('/stream')[0]!.pid)
    await expect((async () => { for (;;) if ((await reader.read()).done) return 'clean end' })()).rejects.toThrow()
    await expect(text(`${p.url}/slow?ms=2000`)).rejects.toThrow()
    expect(p.counts).toMatchObject({ faultKills: 1, timeouts: 1 })
  })
})
