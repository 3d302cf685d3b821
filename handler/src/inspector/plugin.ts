import type { Plugin } from '../plugin.js'
import { Recorder } from './recorder.js'
import { inspectorRoutes, type InspectorOptions } from './routes.js'

/**
 * The inspector as a plugin: it observes traffic through the core's Observer
 * hook (metrics, live feed) and adds the routes of INSPECTOR.md. `serve({
 * inspector: { token } })` installs it; so does `serve({ plugins: [inspector({ token })] })`.
 */
export function inspector(options: InspectorOptions): Plugin {
  return {
    name: 'inspector',
    setup(ctx) {
      const recorder = new Recorder(ctx.store, ctx.options.limits.metricKeys)
      return {
        observer: recorder,
        routes: (app) => inspectorRoutes(app, ctx, options, recorder),
      }
    },
  }
}
