// Platform matrix (scenario.ts): the platforms that need no build or emulator. Netlify and Next.js
// have files of their own so that vitest runs them beside this one.
import { PLATFORMS } from '../support/runtimes.js'
import { describePlatforms } from './scenario.js'

describePlatforms(PLATFORMS.filter((p) => !p.ownFile))
