// The multi-instance harness itself: redis-server with persistence, a local Redis Cluster, the
// round-robin balancer.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { redisStore } from 'socket-serve/redis'
import { startBalancer, type Balancer } from './balancer.js'
import { freePort } from './ports.js'
import { redisCommand, redisPing, startRedis, startRedisCluster, type RedisCluster, type RedisServer } from './redis.js'
import { sleep, until } from './server.js'

describe('startRedis with appendonly', () => {
  let redis: RedisServer | undefined
  afterAll(() => redis?.destroy())

  it('restart() keeps the port and the data; kill9 + start too', async () => {
    redis = await startRedis({ appendonly: true })
    await redisCommand(redis.port, 'SET', 'k', 'v1')
    const pid = redis.pid
    await redis.restart()
    expect(redis.pid).not.toBe(pid)
    expect(await redisCommand(redis.port, 'GET', 'k')).toBe('v1')
    await redisCommand(redis.port, 'SET', 'k', 'v2')
    // appendfsync everysec: a crash may lose the last second; a clean stop loses nothing.
    await redis.stop()
    expect(await redisPing(redis.port)).toBe(false)
    await redis.start()
    expect(await redisCommand(redis.port, 'GET', 'k')).toBe('v2')
  })
})

describe('startRedisCluster', () => {
  let cluster: RedisCluster | undefined
  afterAll(() => cluster?.stop())

  it('starts 3 masters covering every slot, usable by the Redis store', async () => {
    cluster = await startRedisCluster()
    expect(cluster.nodes).toHaveLength(3)
    for (const node of cluster.nodes) {
      expect(node.host).toBe('127.0.0.1')
      const info = String(await redisCommand(node.port, 'CLUSTER', 'INFO'))
      expect(info).toMatch(/cluster_state:ok/)
      expect(info).toMatch(/cluster_slots_assigned:16384/)
    }
    // The store's keys of different hash tags land on different nodes; its scripts still run.
    const store = redisStore(cluster.nodes)
    try {
      const limits = { ttl: 60, maxLogLength: 100 }
      for (let i = 0; i < 10; i++) await store.append(`r:room-${i}`, `"m${i}"`, undefined, limits)
      for (let i = 0; i < 10; i++) {
        const res = await store.read(`r:room-${i}`, 0, 10)
        expect(res.entries.map((e) => e.data)).toEqual([`"m${i}"`])
      }
      const used = await Promise.all(cluster.nodes.map(async (n) => Number(await redisCommand(n.port, 'DBSIZE'))))
      expect(used.filter((n) => n > 0).length).toBeGreaterThan(1)
    } finally {
      await store.close()
    }
    const ports = cluster.nodes.map((n) => n.port)
    await cluster.stop()
    cluster = undefined
    for (const p of ports) expect(await redisPing(p)).toBe(false)
  })
})

describe('startBalancer', () => {
  const servers: http.Server[] = []
  let lb: Balancer | undefined
  afterAll(async () => {
    await lb?.close()
    for (const s of servers) {
      s.closeAllConnections()
      await new Promise((r) => s.close(r))
    }
  })

  const aborted: string[] = []
  async function backend(name: string): Promise<number> {
    const s = http.createServer(async (req, res) => {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        res.flushHeaders()
        let i = 0
        const timer = setInterval(() => res.write(`data: ${name}-${i++}\n\n`), 30)
        res.on('close', () => {
          clearInterval(timer)
          if (!res.writableFinished) aborted.push(name)
        })
        return
      }
      let body = ''
      for await (const c of req) body += c
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name })
      res.end(JSON.stringify({ name, method: req.method, body, headers: req.headers }))
    })
    servers.push(s)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    return (s.address() as AddressInfo).port
  }

  it('round-robins, keeps headers and bodies, skips a dead backend, 502s when none is left', async () => {
    const a = await backend('a')
    const b = await backend('b')
    const dead = await freePort() // nothing listens there
    lb = await startBalancer([{ port: a }, { port: dead }, { port: b }])
    const names: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${lb.url}/api/socket/message?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-socket-sid': 's1', 'x-socket-token': 't1', 'last-event-id': 'd=3' },
        body: JSON.stringify({ i }),
      })
      expect(res.status).toBe(200)
      const got = (await res.json()) as { name: string; body: string; headers: Record<string, string> }
      expect(JSON.parse(got.body)).toEqual({ i })
      expect(got.headers).toMatchObject({ 'content-type': 'application/json', 'x-socket-sid': 's1', 'x-socket-token': 't1', 'last-event-id': 'd=3' })
      names.push(got.name)
    }
    // a, (dead -> b), a... every request answered, both live backends used, the dead one skipped.
    expect(names.filter((n) => n === 'a').length).toBeGreaterThan(0)
    expect(names.filter((n) => n === 'b').length).toBeGreaterThan(0)
    expect(lb.log.filter((e) => e.skipped > 0).length).toBeGreaterThan(0)
    expect(lb.log.every((e) => e.status === 200 && e.path === '/api/socket/message')).toBe(true)

    lb.setBackends([{ port: dead }])
    const res = await fetch(`${lb.url}/x`, { method: 'POST', body: 'hello' })
    expect(res.status).toBe(502)
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'no backend' } })
  })

  it('streams SSE chunk by chunk and propagates a client abort upstream', async () => {
    const c = await backend('c')
    lb!.setBackends([{ port: c }])
    const controller = new AbortController()
    const res = await fetch(`${lb!.url}/sse`, { signal: controller.signal })
    const reader = res.body!.getReader()
    const frames: string[] = []
    const decoder = new TextDecoder()
    // Frames arrive while the response is still open: it is not buffered.
    while (frames.length < 3) {
      const { value, done } = await reader.read()
      expect(done).toBe(false)
      frames.push(...decoder.decode(value).split('\n\n').filter(Boolean))
    }
    expect(frames.slice(0, 3)).toEqual(['data: c-0', 'data: c-1', 'data: c-2'])
    expect(lb!.open(c, '/sse')).toBe(1)
    controller.abort()
    await until(() => aborted.includes('c'), 'the upstream request to be aborted', 5000)
    await until(() => lb!.open(c, '/sse') === 0, 'the stream to be counted closed', 5000)
  })

  it('cuts the client when the backend dies mid-response', async () => {
    const s = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('data: first\n\n')
      setTimeout(() => req.socket.destroy(), 100)
    })
    servers.push(s)
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    lb!.setBackends([{ port: (s.address() as AddressInfo).port }])
    const res = await fetch(`${lb!.url}/sse`)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('data: first\n\n')
    await expect(
      (async () => {
        for (let i = 0; i < 10; i++) {
          const r = await reader.read()
          if (r.done) return 'clean end'
        }
        return 'more data'
      })(),
    ).rejects.toThrow()
    await sleep(10)
  })
})
