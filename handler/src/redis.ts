// `socket-serve/redis`: the Redis store (ioredis; Node, Bun and Deno).
export { redisStore, RedisStore, type RedisStoreOptions } from './store/redis.js'
