// Platform matrix (scenario.ts): Next.js App Router, one `next build` then `next start`.
import { PLATFORMS } from '../support/runtimes.js'
import { describePlatforms } from './scenario.js'

describePlatforms(PLATFORMS.filter((p) => p.ownFile === 'next'))
