// bun run test/runtimes/bun/default.mjs   (Bun takes the port from PORT)
// The README's first Bun option: the default export is served by Bun itself.
import { io } from '../app.mjs'

export default io
