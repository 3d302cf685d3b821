// Platform matrix (scenario.ts): Netlify Functions v2 in Netlify's local emulator.
import { PLATFORMS } from '../support/runtimes.js'
import { describePlatforms } from './scenario.js'

describePlatforms(PLATFORMS.filter((p) => p.ownFile === 'netlify'))
