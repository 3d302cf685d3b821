import { describe, expect, it } from 'vitest'
import { contentMessage, hookMessage } from './page-filter.js'
import { CONTENT_SOURCE, HOOK_SOURCE } from './protocol.js'

const self = { name: 'window' }
const frame = { name: 'iframe' }

describe('window message filtering', () => {
  it('accepts the hook messages of this window only', () => {
    const events = { source: HOOK_SOURCE, kind: 'events', events: [], dropped: 0 }
    expect(hookMessage({ source: self, data: events }, self)).toBe(events)
    expect(hookMessage({ source: self, data: { source: HOOK_SOURCE, kind: 'hello' } }, self)).toBeTruthy()
  })

  it('drops messages from another window (a frame, an opener) even with the right tag', () => {
    expect(hookMessage({ source: frame, data: { source: HOOK_SOURCE, kind: 'hello' } }, self)).toBeUndefined()
    expect(hookMessage({ source: null, data: { source: HOOK_SOURCE, kind: 'hello' } }, self)).toBeUndefined()
  })

  it('drops untagged, mistagged and malformed messages', () => {
    for (const data of [null, 'hello', 42, {}, { source: 'react-devtools-bridge', kind: 'hello' }, { source: HOOK_SOURCE, kind: 'other' }, { source: HOOK_SOURCE, kind: 'events', events: 'x' }]) {
      expect(hookMessage({ source: self, data }, self)).toBeUndefined()
    }
    // The content script's own "ready" is not a hook message, and vice versa.
    expect(hookMessage({ source: self, data: { source: CONTENT_SOURCE, kind: 'ready' } }, self)).toBeUndefined()
    expect(contentMessage({ source: self, data: { source: HOOK_SOURCE, kind: 'hello' } }, self)).toBeUndefined()
    expect(contentMessage({ source: self, data: { source: CONTENT_SOURCE, kind: 'ready' } }, self)).toBeTruthy()
    expect(contentMessage({ source: frame, data: { source: CONTENT_SOURCE, kind: 'ready' } }, self)).toBeUndefined()
  })
})
