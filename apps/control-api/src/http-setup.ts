import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG } from '@hookstream/platform';
import { withIngest } from './contracts/openapi-ingest';
import { withWebhooks } from './contracts/openapi-webhooks';
import type { ControlApiConfig } from './control-api.config';
import { serveDashboard } from './dashboard/dashboard.static';

export const DOCS_PATH = 'docs';

/**
 * What both main.ts and the tests apply before init: the OpenAPI 3.1 document at /docs (JSON at
 * /docs-json), with the outbound webhooks in its `webhooks` section. Errors Fastify raises itself (unreadable JSON, wrong content type, body too
 * large) already reach ApiExceptionFilter: Nest installs Fastify's error handler at init.
 */
export function configureHttp(app: NestFastifyApplication, opts: { swaggerUi?: boolean; dashboard?: boolean } = {}): void {
  acceptEmptyBodies(app);
  const doc = new DocumentBuilder()
    .setTitle('Hookstream control API')
    .setDescription(
      'Accounts, API keys, sources, endpoints and automations. Authenticate with `Authorization: Bearer <api key>`; ' +
        'read-scoped keys may only GET. Errors are `{"error": {"code", "message"}}`; lists are `{data, nextCursor}` (pass `?cursor=`).',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (hsk_…)' })
    .build();
  const gateway = app.get<ControlApiConfig>(APP_CONFIG).PUBLIC_BASE_URL;
  SwaggerModule.setup(DOCS_PATH, app, () => withIngest(withWebhooks(SwaggerModule.createDocument(app, doc)), gateway), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    // The UI's assets are served by @fastify/static; Jest on Node 20 cannot load it (an ESM-only dependency).
    swaggerUiEnabled: opts.swaggerUi ?? true,
  });
  // The dashboard (apps/dashboard, built into dist/apps/dashboard) at / — also served by @fastify/static, so off wherever the Swagger UI is.
  if (opts.dashboard ?? opts.swaggerUi ?? true) serveDashboard(app);
}

/**
 * Many API clients send `Content-Type: application/json` on every request, also on a bodiless
 * DELETE or POST (enable, rotate-secret, retry …). Fastify then tries to parse an empty body and
 * answers 400 "Body cannot be empty". A request that carries no body (no Transfer-Encoding, no or
 * zero Content-Length) has nothing to parse: its content type is dropped before parsing, so every
 * bodiless route accepts it and a route that needs a body still answers 400 validation_failed.
 */
function acceptEmptyBodies(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (req, _reply, done) => {
      const h = req.headers;
      if (h['content-type'] !== undefined && h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0')) {
        delete h['content-type'];
      }
      done();
    });
}
