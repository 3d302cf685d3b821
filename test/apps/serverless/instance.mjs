// One function instance: a minimal node:http bridge that turns each request into a Web Request
// and calls the app's io.fetch(request, env, ctx), as a platform's runtime does. Started by the
// platform emulator (test/support/platform.ts), which SIGKILLs it the moment it has no request in
// flight: ctx.waitUntil work is lost then, exactly as on a platform.
//
//   REDIS_URL=... node test/apps/serverless/instance.mjs   -> "listening on http://127.0.0.1:PORT"
import { createServer } from 'node:http'

const { io } = await import(process.env.FUNCTION_MODULE ?? './function.mjs')

// What the platform passes as `env` (Workers bindings; elsewhere the environment).
const env = { CRON_SECRET: process.env.CRON_SECRET, REDIS_URL: process.env.REDIS_URL }

const server = createServer(async (req, res) => {
  const abort = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) abort.abort() // the client (the platform's front) went away
  })
  try {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, {
      method: req.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
      signal: abort.signal,
    })
    const ctx = { waitUntil: (promise) => void Promise.resolve(promise).catch(() => {}) }
    const response = await io.fetch(request, env, ctx)
    res.writeHead(response.status, Object.fromEntries(response.headers))
    if (!response.body) return void res.end()
    res.flushHeaders()
    const reader = response.body.getReader()
    abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}))
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // Chunk by chunk: an SSE frame leaves as soon as the app writes it.
      if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve))
    }
    res.end()
  } catch (err) {
    if (abort.signal.aborted) return void res.destroy()
    console.error('[instance] request failed:', err)
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
    res.end('{"error":{"code":"INTERNAL","message":"bridge failed"}}')
  }
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))
