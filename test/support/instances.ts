// Several server processes of test/apps/cluster/server.mjs on one Redis, behind the round-robin
// balancer: a multi-instance deployment on loopback.
//
//   const redis = await startRedis()
//   const dep = await startInstances(3, { REDIS_URL: redis.url })
//   connect(dep.url)          // http://127.0.0.1:LB/api/socket
//   await dep.kill9(0)        // crash one instance (the balancer skips it from then on)
//   await dep.close()
import { startBalancer, type Balancer } from './balancer.js'
import { startApp, type RunningApp } from './runtimes.js'

export const CLUSTER_APP = 'test/apps/cluster/server.mjs'

export interface Instances {
  apps: RunningApp[]
  ports: number[]
  balancer: Balancer
  /** The socket endpoint through the balancer. */
  url: string
  kill9(index: number): Promise<void>
  close(): Promise<void>
}

export async function startInstances(n: number, env: Record<string, string | undefined>): Promise<Instances> {
  const apps: RunningApp[] = []
  try {
    apps.push(...(await Promise.all(Array.from({ length: n }, () => startApp('node', CLUSTER_APP, { env })))))
  } catch (e) {
    await Promise.all(apps.map((a) => a.kill9()))
    throw e
  }
  const ports = apps.map((a) => a.port)
  const balancer = await startBalancer(ports.map((port) => ({ port })))
  return {
    apps,
    ports,
    balancer,
    url: `${balancer.url}/api/socket`,
    async kill9(index) {
      await apps[index]!.kill9()
    },
    async close() {
      await balancer.close()
      await Promise.all(apps.map((a) => a.stop()))
    },
  }
}
