/*
 * The dashboard build (`npm run build` runs it after tsc). Written as a CommonJS object, the
 * module format of this repository: the root tsconfig type-checks this file with Node's CommonJS
 * resolution, which cannot see the ESM-only vite package's types, and Vite loads CommonJS
 * configs here without its "ESM syntax in a CommonJS file" warning. JSX goes through Vite's own
 * transform (Oxc) with Preact's automatic runtime, so no framework plugin is needed.
 *
 * Development: `npx vite --config apps/dashboard/vite.config.ts` serves the page on
 * http://127.0.0.1:5173 and proxies the API to a control-api on :3001 (or CONTROL_API_URL).
 */
module.exports = {
  root: __dirname,
  base: '/',
  clearScreen: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    // Beside the compiled apps (dist/apps/<app>): the image copies dist/ whole, control-api finds it there.
    outDir: `${__dirname}/../../dist/apps/dashboard`,
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
  },
  server: {
    host: '127.0.0.1',
    proxy: Object.fromEntries(['/v1', '/docs', '/health'].map((p) => [p, process.env['CONTROL_API_URL'] ?? 'http://127.0.0.1:3001'])),
  },
};
