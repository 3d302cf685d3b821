// Netlify Functions v2: the socket function. `io` lives in its own module (../../../app.mjs here,
// e.g. lib/socket.mjs in a site) so that the sweep function below can share it.
import { io } from '../../../app.mjs'

export default io

export const config = { path: ['/socket', '/socket/*'] }
