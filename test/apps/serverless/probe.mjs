// A bare function for the platform emulator's own tests (test/support/platform.test.ts): no
// socket-serve, no Redis. Routes (last path segment):
//   /pid     -> this process's pid
//   /slow    -> the pid after ?ms= milliseconds
//   /stream  -> text/event-stream: ?n= chunks, one every 100 ms, then the end
//   /later   -> answers at once, and appends to ?file= after 300 ms (it must never happen: the
//               instance is killed as soon as it has answered)
import { appendFileSync } from 'node:fs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export const io = {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    const route = url.pathname.slice(url.pathname.lastIndexOf('/'))
    if (route === '/pid') return new Response(String(process.pid))
    if (route === '/slow') {
      await sleep(Number(url.searchParams.get('ms') ?? 0))
      return new Response(String(process.pid))
    }
    if (route === '/stream') {
      const n = Number(url.searchParams.get('n') ?? 3)
      const body = new ReadableStream({
        async start(controller) {
          for (let i = 0; i < n; i++) {
            controller.enqueue(new TextEncoder().encode(`data: ${i} ${Date.now()}\n\n`))
            await sleep(100)
          }
          controller.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    }
    if (route === '/later') {
      const file = url.searchParams.get('file')
      setTimeout(() => appendFileSync(file, 'timer ran\n'), 300)
      ctx.waitUntil(sleep(300).then(() => appendFileSync(file, 'waitUntil ran\n')))
      return new Response(String(process.pid))
    }
    return new Response('not found', { status: 404 })
  },
}
