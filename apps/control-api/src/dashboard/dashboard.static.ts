import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Where `vite build` writes the dashboard (apps/dashboard/vite.config.ts). */
const BUILD_DIR = join('dist', 'apps', 'dashboard');

/** Paths that belong to the API: unknown ones answer the API's JSON 404, never the page. */
const API_PREFIXES = ['/v1/', '/docs', '/health/', '/internal/', '/assets/', '/asyncapi'];

// The page holds an API key: no third-party code, no framing, no referrer leaking URLs.
const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Finds the built dashboard by walking up from this file: the same code runs compiled from
 * dist/apps/control-api/src/dashboard and from source, and the repository root is above both.
 */
export function locateDashboard(from = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, BUILD_DIR);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export function isApiPath(path: string): boolean {
  return path === '/v1' || API_PREFIXES.some((p) => path.startsWith(p));
}

/**
 * Serves the dashboard: hashed bundles under /assets/ (cached for good), and index.html at `/`
 * and at every other GET path that is not the API's, so that the page's own routes
 * (/feed, /events/:id …) survive a reload. Registered before app.init(); Nest's routes are more
 * specific than `/*`, so they keep winning.
 */
export function serveDashboard(app: NestFastifyApplication, dir: string | null = locateDashboard()): void {
  if (!dir) {
    new Logger('Dashboard').warn(`dashboard not built (${BUILD_DIR} missing): run \`npm run build\`; / answers 404 until then`);
    return;
  }
  app.useStaticAssets({
    root: join(dir, 'assets'),
    prefix: '/assets/',
    // Swagger registers @fastify/static too; only one registration may decorate the reply.
    decorateReply: false,
    index: false,
    immutable: true,
    maxAge: '365d',
  });
  const indexFile = join(dir, 'index.html');
  const page = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = req.url.split('?')[0] ?? '/';
    if (isApiPath(path)) return reply.callNotFound();
    // Read on each request (it is under 1 kB): a rebuilt dashboard is served without a restart.
    await reply.headers(PAGE_HEADERS).send(await readFile(indexFile));
  };
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/', page);
  fastify.get('/*', page);
}
