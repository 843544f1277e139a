import { activeTraceIds } from '@hookstream/telemetry';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';

/** Never let a source token (query string) or credentials reach a log line. */
export function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  return url.replace(/([?&](?:token|api_key|key)=)[^&#]*/gi, '$1[redacted]');
}

/** `/health/*` and `/metrics`: polled every few seconds, never worth a log line. */
export function isQuietPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0];
  return path.startsWith('/health/') || path === '/metrics';
}

/** `isQuietPath` as Nest route patterns, for the middleware's `exclude`. */
export const QUIET_ROUTES = [
  { path: 'health/*path', method: RequestMethod.ALL },
  { path: 'metrics', method: RequestMethod.ALL },
];

export function loggerParams(appName: string, level: string, opts: { logRequests?: boolean; traceIds?: boolean } = {}): Params {
  return {
    // Without request logging, the per-request pino-http middleware (a child logger and async
    // context for every request, ~12 % of the gateway's CPU) is not mounted at all.
    // Probes and scrapes are never logged (autoLogging below), and the middleware is not even
    // mounted on them: its AsyncLocalStorage.run() per request would switch on Node's promise
    // hooks for good (promiseInitHook/promiseBeforeHook on every promise of the process, ~2 % of
    // a worker app's CPU) in apps whose only HTTP traffic is /health and /metrics.
    ...(opts.logRequests === false ? { forRoutes: [] } : { exclude: QUIET_ROUTES }),
    pinoHttp: {
      level,
      base: { app: appName },
      messageKey: 'msg',
      // With tracing on, every line logged inside a span carries its trace_id and span_id.
      ...(opts.traceIds ? { mixin: activeTraceIds } : {}),
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label: string) => ({ level: label }) },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: '[redacted]' },
      serializers: {
        req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }),
      },
      // Probes and scrapes are not traffic. Nest mounts this middleware per route through middie,
      // which rewrites req.url relative to the mount point; originalUrl is the request's own.
      autoLogging: opts.logRequests === false ? false : { ignore: (req: IncomingMessage & { originalUrl?: string }) => isQuietPath(req.originalUrl ?? req.url) },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    },
  };
}

/**
 * A log line written at once, in the apps' JSON shape, for what happens while Nest builds the app
 * (its logger buffers until the app exists): e.g. the boot waiting for Kafka.
 */
export function bootLogLine(appName: string, context: string, level: 'info' | 'warn' = 'warn'): (msg: string) => void {
  return (msg) => {
    process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), app: appName, context, msg })}\n`);
  };
}
