import { afterEach, describe, expect, it } from 'vitest'
import { SignJWT, UnsecuredJWT, jwtVerify } from 'jose'
import { connect, type ClientSocket, type SocketServeError as ClientError } from '@socket-serve/client'
import { SocketServeError, type IO } from 'socket-serve'
import { sleep, startServer, until, type TestServer } from '../support/server.js'
import { storeCases } from '../support/stores.js'
import { expectRefusal, sessionHeaders } from '../support/raw-http.js'

const stores = storeCases()

// --- the README example: auth with a JWT (jose) ------------------------------------------------

const SECRET = new TextEncoder().encode('a-test-secret-that-is-at-least-32-bytes-long')
const ISSUER = 'https://auth.example'
const AUDIENCE = 'socket-serve'

interface User {
  id: string
  name: string
  role: string
}

/** serve({ auth }): verifies the JWT the client sends as `auth: { token }`; what it returns is socket.user. */
async function auth(_req: Request, payload: unknown): Promise<User> {
  const token = (payload as { token?: unknown } | undefined)?.token
  if (typeof token !== 'string') throw new SocketServeError('UNAUTHORIZED', 'a token is required')
  try {
    const { payload: claims } = await jwtVerify(token, SECRET, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] })
    return { id: String(claims.sub), name: String(claims.name), role: String(claims.role ?? 'user') }
  } catch {
    throw new SocketServeError('UNAUTHORIZED', 'invalid or expired token')
  }
}

/** io.use: runs after auth, sees socket.user; an error refuses the connection (403 FORBIDDEN with its message). */
function setup(io: IO): void {
  io.use((socket, next) => {
    if ((socket.user as User).role === 'banned') return next(new Error('banned from this server'))
    next()
  })
  io.onMessage('whoami', (socket) => socket.user)
}

/** What an identity provider would hand the browser. */
function issue(claims: { sub: string; name: string; role?: string }, expiresIn: string | number = '1h', secret = SECRET) {
  return new SignJWT({ name: claims.name, role: claims.role ?? 'user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret)
}

// -----------------------------------------------------------------------------------------------

describe.each(stores)('auth with a JWT, $name store', (store) => {
  let server: TestServer
  const clients: ClientSocket[] = []
  let authCalls = 0
  const connected: unknown[] = []
  const disconnected: unknown[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
    await server?.close()
    authCalls = 0
    connected.length = 0
    disconnected.length = 0
  })

  async function start(): Promise<void> {
    server = await startServer(
      {
        store: store.make(),
        auth: (req, payload) => {
          authCalls++
          return auth(req, payload)
        },
      },
      (io) => {
        setup(io)
        io.onConnect((s) => void connected.push(s.user))
        io.onDisconnect((s) => void disconnected.push(s.user))
      },
    )
  }

  function client(opts: Parameters<typeof connect>[1]): ClientSocket {
    const socket = connect(server.url, { ...opts })
    clients.push(socket)
    return socket
  }

  /** The first connect or connect_error of a socket, and every connect_error / reconnect_attempt seen. */
  function watch(socket: ClientSocket) {
    const errors: ClientError[] = []
    let attempts = 0
    socket.on('connect_error', (e) => void errors.push(e as ClientError))
    socket.on('reconnect_attempt', () => void attempts++)
    const first = new Promise<'connect' | ClientError>((resolve) => {
      socket.once('connect', () => resolve('connect'))
      socket.once('connect_error', (e) => resolve(e as ClientError))
    })
    return { errors, first, attempts: () => attempts }
  }

  it('a valid token: socket.user holds the claims at connect, on every later request and on fetchSockets', async () => {
    await start()
    const token = await issue({ sub: 'u-42', name: 'Ada' })
    const socket = client({ auth: { token } })
    expect(await watch(socket).first).toBe('connect')
    const ada = { id: 'u-42', name: 'Ada', role: 'user' }
    expect(connected).toEqual([ada])
    for (let i = 0; i < 3; i++) expect(await socket.emitWithAck('whoami', { pretend: 'admin' })).toEqual(ada)
    const sockets = await server.io.fetchSockets()
    expect(sockets.map((s) => [s.id, s.user])).toEqual([[socket.id, ada]])
    // The token is not needed again: later requests carry only the session's own credentials.
    socket.disconnect()
    await until(() => disconnected.length === 1, 'onDisconnect')
    expect(disconnected).toEqual([ada])
    expect(authCalls).toBe(1)
  })

  it.each([
    ['expired', () => issue({ sub: 'u-1', name: 'Old' }, Math.floor(Date.now() / 1000) - 60)],
    ['signed with another key', () => issue({ sub: 'u-1', name: 'Mallory', role: 'admin' }, '1h', new TextEncoder().encode('x'.repeat(40)))],
    ['unsigned (alg: none)', async () => new UnsecuredJWT({ name: 'Mallory', role: 'admin' }).setSubject('u-1').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').encode()],
    ['payload tampered after signing', async () => {
      const [h, , sig] = (await issue({ sub: 'u-1', name: 'Eve' })).split('.')
      const forged = Buffer.from(JSON.stringify({ sub: 'u-1', name: 'Eve', role: 'admin', iss: ISSUER, aud: AUDIENCE, exp: 9999999999 })).toString('base64url')
      return `${h}.${forged}.${sig}`
    }],
    ['not a JWT', async () => 'hello'],
  ])('%s token → connect_error UNAUTHORIZED (401), not retried, nothing created', async (_what, make) => {
    await start()
    const socket = client({ auth: { token: await make() } })
    const seen = watch(socket)
    const first = await seen.first
    expect(first).not.toBe('connect')
    expect(first).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
    // Long enough for several reconnect attempts at a 20-50 ms backoff, had there been any.
    await sleep(800)
    expect(seen.errors).toHaveLength(1)
    expect(seen.attempts()).toBe(0)
    expect(authCalls).toBe(1)
    expect(socket.active).toBe(false)
    expect(socket.connected).toBe(false)
    expect(await server.io.fetchSockets()).toEqual([])
    expect(connected).toEqual([])
  })

  it('no token and a wrong auth shape: 401 in the JSON error shape on the wire', async () => {
    await start()
    for (const body of [{}, { auth: null }, { auth: 'token' }, { auth: { token: 42 } }, { auth: { token: ['a'] } }]) {
      const res = await fetch(`${server.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      await expectRefusal(res, 401, 'UNAUTHORIZED')
    }
    expect(await server.io.fetchSockets()).toEqual([])
  })

  it('io.use rejecting → connect_error FORBIDDEN (403) with its message, not retried, nothing created', async () => {
    await start()
    const socket = client({ auth: { token: await issue({ sub: 'u-13', name: 'Banned', role: 'banned' }) } })
    const seen = watch(socket)
    const first = await seen.first
    expect(first).toMatchObject({ code: 'FORBIDDEN', status: 403, message: 'banned from this server' })
    await sleep(800)
    expect(seen.errors).toHaveLength(1)
    expect(seen.attempts()).toBe(0)
    expect(await server.io.fetchSockets()).toEqual([])
    expect(connected).toEqual([])
    // Same on the wire.
    const res = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { token: await issue({ sub: 'u-13', name: 'Banned', role: 'banned' }) } }),
    })
    const refusal = await expectRefusal(res, 403, 'FORBIDDEN')
    expect(refusal.body.error.message).toBe('banned from this server')
  })

  it('after a refusal, connect() by hand with a fresh token (auth as a function) succeeds', async () => {
    await start()
    let token = await issue({ sub: 'u-7', name: 'Grace' }, Math.floor(Date.now() / 1000) - 1)
    const socket = client({ auth: async () => ({ token }) })
    const seen = watch(socket)
    expect(await seen.first).toMatchObject({ code: 'UNAUTHORIZED' })
    token = await issue({ sub: 'u-7', name: 'Grace' })
    const ok = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.connect()
    await ok
    expect(await socket.emitWithAck('whoami')).toEqual({ id: 'u-7', name: 'Grace', role: 'user' })
  })

  it('a session of one user cannot be used with another user’s session token', async () => {
    await start()
    const a = await rawConnectWith(await issue({ sub: 'a', name: 'A' }))
    const b = await rawConnectWith(await issue({ sub: 'b', name: 'B' }))
    const res = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-socket-sid': a.sid, 'x-socket-token': b.token },
      body: JSON.stringify({ messages: [{ id: 1, event: 'whoami', ack: true }] }),
    })
    await expectRefusal(res, 401, 'UNAUTHORIZED')
    const own = await fetch(`${server.url}/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sessionHeaders(a) },
      body: JSON.stringify({ messages: [{ id: 1, event: 'whoami', ack: true }] }),
    })
    expect(await own.json()).toEqual({ acks: [{ id: 1, data: { id: 'a', name: 'A', role: 'user' } }] })
  })

  async function rawConnectWith(token: string): Promise<{ sid: string; token: string }> {
    const res = await fetch(`${server.url}/connect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: { token } }),
    })
    expect(res.status).toBe(200)
    return (await res.json()) as { sid: string; token: string }
  }
})
