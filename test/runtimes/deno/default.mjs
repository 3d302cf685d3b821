// deno serve -A --unstable-no-legacy-abort --port 8000 test/runtimes/deno/default.mjs
import { io } from '../app.mjs'

export default io
