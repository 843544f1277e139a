import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { GatewayConfig } from '../gateway.config';
import { BODY_PARSERS, registerBodyParsers } from './body-parsers';
import { GatewayError, GatewayErrorCode, sendGatewayError, toGatewayError } from './gateway.errors';
import { newHookCall, type HookCall, type HookKind } from './hook-call';
import { HooksHandler } from './hooks.handler';
import { IngestMetrics } from './ingest.metrics';

type HookRequest = FastifyRequest<{ Params: { sourceId: string }; Querystring: { token?: string; dry_run?: string } }> & { rawBody?: Buffer };

/** Route config marking the webhook routes for the request hook. */
interface HookRouteConfig {
  hookKind?: HookKind;
}

// The answers Fastify's body reading gives (through Nest's error mapping and GatewayExceptionFilter).
const unsupportedMediaType = () => new GatewayError(415, GatewayErrorCode.UnsupportedMediaType, 'Send Content-Type application/json or application/x-www-form-urlencoded.');
const bodyTooLarge = () => new GatewayError(413, GatewayErrorCode.PayloadTooLarge, 'The request body exceeds the size limit.');
const contentLengthMismatch = () => new GatewayError(400, GatewayErrorCode.InvalidBody, 'Request body size did not match Content-Length');

/**
 * The gateway's HTTP set-up, for main.ts (through runApp's `configure`) and in-process tests:
 * body parsers for the routes Nest serves, and the webhook routes with their request hook.
 */
export function configureGatewayHttp(app: NestFastifyApplication, config: GatewayConfig): void {
  const adapter = app.getHttpAdapter() as unknown as FastifyAdapter;
  registerBodyParsers(adapter.getInstance(), bodyLimitBytes(config));
  registerHookRoutes(adapter, app.get(HooksHandler), { single: config.MAX_BODY_BYTES, batch: config.BATCH_MAX_BYTES }, app.get(IngestMetrics));
}

/**
 * The gateway's server timeouts, so a slow client cannot hold a connection: the headers must
 * arrive within HTTP_HEADERS_TIMEOUT_MS and the whole request within HTTP_REQUEST_TIMEOUT_MS (Node
 * answers 408 and closes), an idle keep-alive connection closes after HTTP_KEEP_ALIVE_TIMEOUT_MS,
 * and a connection where nothing moves after HTTP_CONNECTION_TIMEOUT_MS. Node checks the first
 * two every `connectionsCheckingInterval` (30 s by default), hence the shorter interval.
 */
export function gatewayFastifyOptions(config: GatewayConfig): Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout'> & { http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } } {
  return {
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: config.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    http: {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 2)),
    },
  };
}

/** Bytes a webhook route reads at most, per route. */
export interface HookBodyLimits {
  single: number;
  batch: number;
}

/** Bytes read for any request body; each route then applies its own limit (single vs batch). */
export function bodyLimitBytes(config: GatewayConfig): number {
  return Math.max(config.MAX_BODY_BYTES, config.BATCH_MAX_BYTES);
}

/**
 * `POST /v1/hooks/:sourceId` and `…/batch`, served from a request hook: the hot path skips Nest's
 * middleware (@fastify/middie), Fastify's content-type parser (an AsyncResource per request) and
 * Nest's router. Fastify still routes the request, so params, query, 404s and bad URLs stay
 * Fastify's and Nest's.
 *
 * Order: Fastify runs root `onRequest` hooks in the order they were added. NestFactory.create()
 * already registered middie (FastifyAdapter.init), so a hook added now would run after it. The
 * adapter's first `onRequest` hook, added in its constructor, calls the one given to
 * `setOnRequestHook` (public API, unused by Nest itself): that runs before middie and every other
 * hook. On a webhook route the hook never calls `done`; it answers itself, which ends the
 * lifecycle. Anything else goes on unchanged — including an empty `:sourceId` (`POST /v1/hooks/`),
 * which takes Fastify's body parsing and then the handler's 404, as when Nest served the routes.
 * The handler serves the same way from Fastify's parsed body, should a request get past the hook.
 */
export function registerHookRoutes(adapter: FastifyAdapter, handler: HooksHandler, limits: HookBodyLimits, metrics?: IngestMetrics): void {
  // Once answered: the dialect is known once the source was, the size once the body was read.
  const record = (call: HookCall, reply: FastifyReply) => metrics?.request(call.kind, call.dialect, reply.statusCode, call.rawBody.length);

  adapter.setOnRequestHook((request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    // A request target that is not a path is left to Nest's own checks (they run next).
    const kind = request.raw.url?.charCodeAt(0) === 47 ? (request.routeOptions.config as HookRouteConfig).hookKind : undefined;
    if (kind === undefined || (request as HookRequest).params.sourceId === '') {
      done();
      return;
    }
    const call = hookCall(kind, request as HookRequest);
    serveFromRaw(call, request as HookRequest, reply, limits[kind], handler)
      .catch((err: unknown) => {
        if (!reply.sent) sendGatewayError(reply, toGatewayError(err));
      })
      .then(() => record(call, reply));
  });

  const fastify = adapter.getInstance();
  for (const [url, kind] of [['/v1/hooks/:sourceId', 'single'], ['/v1/hooks/:sourceId/batch', 'batch']] as const) {
    fastify.route({
      method: 'POST',
      url,
      config: { hookKind: kind } satisfies HookRouteConfig,
      handler: (request: FastifyRequest, reply: FastifyReply) => {
        const req = request as HookRequest;
        // `/v1/hooks/` matches with an empty id; Nest answers its routes' empty params with its 404.
        if (req.params.sourceId === '') {
          reply.callNotFound();
          return;
        }
        const call = hookCall(kind, req);
        if (req.rawBody) call.rawBody = req.rawBody;
        call.body = req.body;
        handler.ingest(call)
          .then((a) => reply.status(a.status).send(a.body), (err: unknown) => reply.send(err))
          .then(() => record(call, reply));
      },
    });
  }
}

/**
 * What Fastify's body handling followed by the handler would do, without its parser machinery —
 * and authenticated from the URL first: an unknown source or a bad token is answered 401 before a
 * byte of the body is read, and the connection is closed rather than drained, so an
 * unauthenticated sender costs no body reading, parsing or memory.
 */
async function serveFromRaw(call: HookCall, request: HookRequest, reply: FastifyReply, limit: number, handler: HooksHandler): Promise<void> {
  const headers = request.headers;
  const hasBody = !isEmptyBody(headers);
  try {
    call.source = handler.authenticate(call);
    call.dialect = call.source.dialect;
  } catch (err) {
    if (hasBody) closeWithoutReading(request, reply);
    sendGatewayError(reply, toGatewayError(err));
    return;
  }
  if (headers['content-type'] !== undefined || hasBody) {
    const parse = BODY_PARSERS.get(call.mediaType);
    if (!parse) {
      // Answered before the body is read, as Fastify does; Node discards the unread body.
      sendGatewayError(reply, unsupportedMediaType());
      return;
    }
    try {
      const rawBody = await readBody(request.raw, limit);
      call.body = parse(rawBody, call.kind === 'batch' ? 1 : 0);
      // Set once parsed: the request metric counts the bytes of bodies that could be read.
      call.rawBody = rawBody;
    } catch (err) {
      // The client may still be sending: close the connection after answering (as Fastify does).
      void reply.header('connection', 'close');
      sendGatewayError(reply, toGatewayError(err));
      return;
    }
  }
  const a = await handler.ingest(call);
  void reply.status(a.status).send(a.body);
}

/** Answers with `Connection: close` and drops the socket once the answer is out, leaving the body unread. */
function closeWithoutReading(request: HookRequest, reply: FastifyReply): void {
  void reply.header('connection', 'close');
  reply.raw.once('finish', () => {
    if (!request.raw.complete) request.raw.socket?.destroy();
  });
}

function hookCall(kind: HookKind, request: HookRequest): HookCall {
  return newHookCall({ kind, sourceId: request.params.sourceId, query: request.query, headers: request.headers, clientIp: request.ip ?? null });
}

function isEmptyBody(headers: IncomingHttpHeaders): boolean {
  const contentLength = headers['content-length'];
  return headers['transfer-encoding'] === undefined && (contentLength === undefined || contentLength === '0');
}

/**
 * The body as one Buffer, at most `limit` bytes: refused up front when Content-Length says more,
 * and reading stops at the first chunk past it. Rejects with the error to answer.
 */
export function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const contentLength = Number(raw.headers['content-length']);
    if (contentLength > limit) {
      reject(bodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      raw.removeListener('data', onData);
      raw.removeListener('end', onEnd);
      raw.removeListener('error', onEnd);
      raw.removeListener('close', onClose);
    };
    // Closed before the end (client gone, or the server's request timeout): settle, never hang.
    function onClose(): void {
      if (raw.complete) return;
      stop();
      reject(Object.assign(new Error('The connection closed before the whole body arrived.'), { statusCode: 400 }));
    }
    function onData(chunk: Buffer): void {
      received += chunk.length;
      if (received > limit) {
        stop();
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(err?: Error & { statusCode?: number }): void {
      stop();
      if (err != null) {
        if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
        reject(err);
        return;
      }
      if (!Number.isNaN(contentLength) && received !== contentLength) {
        reject(contentLengthMismatch());
        return;
      }
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    }
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onEnd);
    raw.on('close', onClose);
    raw.resume();
  });
}
