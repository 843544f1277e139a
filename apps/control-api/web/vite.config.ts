import { join } from 'node:path';

/*
 * The dashboard build (`npm run build` runs it after tsc). A plain object rather than
 * `defineConfig` from 'vite': the root tsconfig type-checks this file with Node's CommonJS
 * resolution, which cannot see the ESM-only vite package's types; Vite accepts the object as is.
 * JSX goes through Vite's own transform (Oxc) with Preact's automatic runtime, so no framework
 * plugin is needed. `npx vite --config apps/control-api/web/vite.config.ts` serves it on :5173
 * for development, proxying the API to a control-api on :3001.
 */
const controlApi = process.env['CONTROL_API_URL'] ?? 'http://127.0.0.1:3001';

export default {
  root: __dirname,
  base: '/',
  clearScreen: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: join(__dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/v1': controlApi, '/docs': controlApi, '/health': controlApi },
  },
};
