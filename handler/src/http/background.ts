/** Hands a promise to the platform so it may finish after the answer (optional work only). */
export type WaitUntil = (promise: Promise<unknown>) => void

/**
 * The platform's waitUntil, from what `io.fetch(request, env, ctx)` was given:
 * Workers pass an execution context third (`ctx.waitUntil`), Netlify passes its
 * context second (`context.waitUntil`); otherwise the `waitUntil` option
 * (Vercel: `waitUntil` from @vercel/functions), else none: such work then runs
 * within the request.
 */
export function platformWaitUntil(env: unknown, ctx: unknown, option?: WaitUntil): WaitUntil | undefined {
  for (const holder of [ctx, env]) {
    const fn = (holder as { waitUntil?: unknown } | null | undefined)?.waitUntil
    if (typeof fn === 'function') return (promise) => (fn as WaitUntil).call(holder, promise)
  }
  return option
}
