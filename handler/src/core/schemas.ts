/**
 * Schema-validated events: `serve({ events: { chat: schema } })` with any Standard Schema
 * validator (zod, valibot, arktype...). A payload that fails is refused with VALIDATION before
 * any handler runs; `{ data, ack }` validates the handler's ack too. Types are inferred from the
 * schemas for both sides (`SchemaEvents`).
 */
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { SocketServeError } from '@socket-serve/client/protocol'

/** One event's schemas: the payload's, or `{ data?, ack? }`. */
export type EventSchema = StandardSchemaV1 | { data?: StandardSchemaV1; ack?: StandardSchemaV1 }
export type EventSchemas = Record<string, EventSchema>

type DataOf<S> = S extends StandardSchemaV1 ? S : S extends { data: infer D extends StandardSchemaV1 } ? D : undefined
type AckOf<S> = S extends { ack: infer A extends StandardSchemaV1 } ? A : undefined
type Out<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : any // eslint-disable-line @typescript-eslint/no-explicit-any
type In<S> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : any // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The client-to-server map the schemas describe, in Socket.IO's style: the server's handlers get
 * the validated (output) type; `SchemaEventsInput` is what a client may send (the input type).
 */
export type SchemaEvents<S extends EventSchemas> = {
  [K in keyof S]: (data: Out<DataOf<S[K]>>, ack: (reply: Out<AckOf<S[K]>>) => void) => void
}
export type SchemaEventsInput<S extends EventSchemas> = {
  [K in keyof S]: (data: In<DataOf<S[K]>>, ack: (reply: Out<AckOf<S[K]>>) => void) => void
}

const isSchema = (s: unknown): s is StandardSchemaV1 => typeof s === 'object' && s !== null && '~standard' in s

/** The event's validators, split into payload and ack (each absent when not given). */
export function schemasOf(s: EventSchema | undefined): { data?: StandardSchemaV1; ack?: StandardSchemaV1 } {
  if (!s) return {}
  return isSchema(s) ? { data: s } : s
}

/**
 * The validated value (a schema may transform it), or a VALIDATION error naming the issues.
 * Synchronous when the validator is, so handlers still start in emit order.
 */
export function validate(schema: StandardSchemaV1, value: unknown, what: string): unknown | Promise<unknown> {
  const result = schema['~standard'].validate(value)
  return result instanceof Promise ? result.then((r) => outcome(r, what)) : outcome(result, what)
}

function outcome(result: StandardSchemaV1.Result<unknown>, what: string): unknown {
  if (!result.issues) return result.value
  const issues = result.issues
    .slice(0, 5)
    .map((i) => {
      const path = (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.')
      return path ? `${path}: ${i.message}` : i.message
    })
    .join('; ')
  throw new SocketServeError('VALIDATION', `${what} failed validation: ${issues}`)
}
