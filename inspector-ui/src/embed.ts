// The single-file build for plain pages: `import { mountInspector } from '/admin/inspector.js'`.
// React is bundled in; nothing else to load.
export { mountInspector, type MountOptions, type MountedInspector } from './mount.js'
export { httpWall } from './http-wall.js'
export { InspectorError } from './types.js'
