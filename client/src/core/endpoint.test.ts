import { describe, expect, it } from 'vitest'
import { resolveRoutes } from './endpoint.js'

describe('resolveRoutes', () => {
  it('derives every route by suffix, with or without a trailing slash, keeping the query', () => {
    const r = resolveRoutes('https://example.com/api/socket/?tenant=a#x')
    expect(r.connect).toBe('https://example.com/api/socket/connect?tenant=a')
    expect(r.sse).toBe('https://example.com/api/socket/sse?tenant=a')
    expect(r.pollNow).toBe('https://example.com/api/socket/poll?tenant=a&wait=0')
    expect(resolveRoutes('http://127.0.0.1:3000').message).toBe('http://127.0.0.1:3000/message')
  })

  it('needs an absolute URL outside a page', () => {
    expect(() => resolveRoutes('/api/socket')).toThrow(TypeError)
  })
})
