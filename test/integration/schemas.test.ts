/**
 * Schema-validated events (issue 16, item 3): serve({ events }) with zod (a Standard Schema
 * validator), over real HTTP with the client SDK. An invalid payload is refused with VALIDATION
 * before any handler runs; an invalid ack is refused too; types follow from the schemas
 * (checked by tsc -p test: the @ts-expect-error lines must stay errors).
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { connect, SocketServeError, type ClientSocket } from '@socket-serve/client'
import { serve, type SchemaEventsInput } from 'socket-serve'
import { startServer, type TestServer } from '../support/server.js'
import { cleanupsAfterEach } from '../support/cleanups.js'

const cleanups = cleanupsAfterEach()

const events = {
  chat: { data: z.object({ text: z.string().min(1).max(200) }), ack: z.object({ id: z.number().int() }) },
  typing: z.boolean(),
  count: { data: z.string().transform((s) => s.length) },
}

describe('schema-validated events', () => {
  it('infers handler types from the schemas (compile time)', () => {
    const io = serve({ events })
    io.onMessage('chat', (_s, msg) => {
      expectTypeOf(msg).toEqualTypeOf<{ text: string }>()
      return { id: 1 }
    })
    // @ts-expect-error the ack schema wants { id: number }
    io.onMessage('chat', () => ({ id: 'one' }))
    io.onMessage('count', (_s, n) => {
      expectTypeOf(n).toEqualTypeOf<number>() // the schema's output
    })
    const client = connect<Record<string, never>, SchemaEventsInput<typeof events>>('http://127.0.0.1:1/', { autoConnect: false })
    expectTypeOf(client.emitWithAck('chat', { text: 'hi' })).resolves.toEqualTypeOf<{ id: number }>()
    // @ts-expect-error a payload the schema refuses, at compile time too
    client.emit('chat', { text: 1 })
    // @ts-expect-error count takes a string (the schema's input)
    client.emit('count', 3)
    void io.close()
  })

  it('refuses an invalid payload with VALIDATION before any handler runs, and an invalid ack', async () => {
    const ran: unknown[] = []
    let ackId: unknown = 7
    const s: TestServer = await startServer({ events }, (io) => {
      io.onMessage('chat', (_s, msg) => {
        ran.push(msg)
        return { id: ackId } as never
      })
      io.onMessage('count', (_s, n) => {
        ran.push(n)
        return n
      })
    })
    cleanups.push(() => s.close())
    const socket: ClientSocket = connect(s.url)
    cleanups.push(() => socket.disconnect())

    expect(await socket.emitWithAck('chat', { text: 'hi' })).toEqual({ id: 7 })
    const refused = await socket.emitWithAck('chat', { text: '' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(SocketServeError)
    expect((refused as SocketServeError).code).toBe('VALIDATION')
    expect((refused as SocketServeError).message).toMatch(/"chat" payload failed validation: text:/)
    const wrongType = await socket.emitWithAck('chat', { text: 5 }).catch((e: unknown) => e)
    expect((wrongType as SocketServeError).code).toBe('VALIDATION')
    expect(ran).toEqual([{ text: 'hi' }]) // no handler ran for either

    // A transforming schema hands the handler its output.
    expect(await socket.emitWithAck('count', 'four')).toBe(4)

    // An ack the schema refuses reaches the client as VALIDATION, not as the bad value.
    ackId = 'not a number'
    const badAck = await socket.emitWithAck('chat', { text: 'again' }).catch((e: unknown) => e)
    expect((badAck as SocketServeError).code).toBe('VALIDATION')
    expect((badAck as SocketServeError).message).toMatch(/"chat" ack failed validation/)
    expect(ran).toEqual([{ text: 'hi' }, 4, { text: 'again' }])
  })
})
