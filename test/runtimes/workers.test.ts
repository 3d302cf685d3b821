// Platform matrix (scenario.ts): Cloudflare Workers under `wrangler dev` (workerd, offline), with the
// Upstash store (no TCP on Workers) through the test Upstash server.
import { PLATFORMS } from '../support/runtimes.js'
import { describePlatforms } from './scenario.js'

describePlatforms(PLATFORMS.filter((p) => p.ownFile === 'workers'))
