// `socket-serve/upstash`: the Upstash store (REST over fetch; Node, Bun, Deno, Workers, Edge).
export { upstashStore, UpstashStore, type UpstashStoreOptions } from './store/upstash.js'
