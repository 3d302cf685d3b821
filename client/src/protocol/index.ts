export * from './errors.js'
export * from './names.js'
export * from './wire.js'
export type * from './events.js'
