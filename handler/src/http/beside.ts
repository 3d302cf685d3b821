/**
 * Bodies kept beside their Request or Response objects. On Node, undici copies
 * a body into a ReadableStream that the other side would read straight back;
 * the Node adapter and the routes hand the bytes over directly instead. Other
 * runtimes never look here: the Request and Response stay complete either way.
 */

const requestBodies = new WeakMap<Request, Uint8Array>()
const responseTexts = new WeakMap<Response, string>()

/** Body bytes an adapter already read, for a Request it built without a body. */
export function attachBody(req: Request, body: Uint8Array): void {
  requestBodies.set(req, body)
}

export function takeBody(req: Request): Uint8Array | undefined {
  const body = requestBodies.get(req)
  if (body) requestBodies.delete(req)
  return body
}

/**
 * A Response whose whole body is `text`, which an adapter can read without its stream. For a
 * Request whose adapter offered a sink (it reads bodies beside the Response), the Response itself
 * carries none: undici would copy the text into a ReadableStream nobody reads.
 */
export function textResponse(text: string, init: ResponseInit, req?: Request): Response {
  const res = new Response(req && sinkOffers.has(req) ? null : text, init)
  responseTexts.set(res, text)
  return res
}

/** The body of a textResponse (headers may have changed since; the body cannot). */
export function responseText(res: Response): string | undefined {
  return responseTexts.get(res)
}

export type { DirectSink, DirectSource } from '../delivery/sink.js'
import type { DirectSink, DirectSource } from '../delivery/sink.js'

const sinkOffers = new WeakSet<Request>()
const responseSources = new WeakMap<Response, DirectSource>()

/** An adapter that will look for a DirectSource on the Response marks its Request. */
export function offerSink(req: Request): void {
  sinkOffers.add(req)
}

export function sinkOffered(req: Request): boolean {
  return sinkOffers.has(req)
}

/** A streaming Response without a ReadableStream: only for a Request whose adapter offered a sink. */
export function sourceResponse(source: DirectSource, init: ResponseInit): Response {
  const res = new Response(null, init)
  responseSources.set(res, source)
  return res
}

export function responseSource(res: Response): DirectSource | undefined {
  return responseSources.get(res)
}
