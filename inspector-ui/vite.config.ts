import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig, type UserConfig } from 'vite'

// One config, three builds, picked by --mode:
//   lib    dist/lib    ESM library for React apps; react, react-dom and deps stay external
//   app    dist/app    the standalone page (React bundled, relative asset paths: serve it anywhere)
//   embed  dist/embed  one ESM file exporting mountInspector, React bundled, for plain pages
const src = (file: string) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))

export default defineConfig(({ mode }): UserConfig => {
  const common: UserConfig = { plugins: [react()], base: './' }

  if (mode === 'lib') {
    return {
      ...common,
      build: {
        outDir: 'dist/lib',
        emptyOutDir: true,
        sourcemap: true,
        minify: false,
        lib: { entry: src('index.ts'), formats: ['es'], fileName: () => 'index.js' },
        rolldownOptions: {
          // Every dependency stays a dependency: the host app dedupes React and friends. CSS read
          // with ?inline (uPlot's) is inlined, so the library needs no stylesheet import.
          external: (id) => !id.includes('?') && /^(react|react-dom|uplot)($|\/)|^@tanstack\/|^@socket-serve\//.test(id),
        },
      },
    }
  }

  if (mode === 'embed') {
    return {
      ...common,
      // Library mode leaves process.env alone; bundled React needs it fixed to production.
      define: { 'process.env.NODE_ENV': JSON.stringify('production') },
      build: {
        outDir: 'dist/embed',
        emptyOutDir: true,
        sourcemap: true,
        lib: { entry: src('embed.ts'), formats: ['es'], fileName: () => 'inspector.js' },
        // Library mode keeps ES output readable (codegen off); this file is loaded as is: minify fully.
        rolldownOptions: { output: { minify: true } },
      },
    }
  }

  // app (also what `vite` serves in dev)
  return {
    ...common,
    build: { outDir: 'dist/app', emptyOutDir: true, sourcemap: true },
  }
})
