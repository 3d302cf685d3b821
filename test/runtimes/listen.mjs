// Where the platform entries of the matrix listen: PORT from the environment, loopback only.
export const port = Number(process.env.PORT ?? 3000)
export const hostname = '127.0.0.1'
/** The line the test harness waits for (test/support/processes.ts). */
export const listening = (p = port) => console.log(`listening on http://${hostname}:${p}`)
