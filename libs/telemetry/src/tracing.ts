import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { IncomingMessage } from 'node:http';
import { errorMessage } from '@hookstream/contracts';

let sdk: NodeSDK | undefined;

/**
 * Tracing is on when the standard variables ask for an exporter: `OTEL_EXPORTER_OTLP_ENDPOINT`
 * or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set, or `OTEL_TRACES_EXPORTER` naming one (otlp,
 * console, zipkin); `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turns it off.
 * Off is the default, and off costs nothing: no SDK, no instrumentation, no spans.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return false;
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.includes('none')) return false;
  return exporters.length > 0 || !!env['OTEL_EXPORTER_OTLP_ENDPOINT'] || !!env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
}

export function tracingEnabled(): boolean {
  return sdk !== undefined;
}

const QUIET_PATHS = /^\/(health\/|metrics)/;

/**
 * Starts the OpenTelemetry Node SDK when `tracingRequested()`: OTLP exporter (protocol from
 * `OTEL_EXPORTER_OTLP_PROTOCOL`: http/protobuf by default, http/json, grpc), sampler, resource
 * and batching from the standard `OTEL_*` variables; W3C trace context. Instrumented: incoming
 * and outgoing HTTP (node:http — the gateway and control-api requests), undici (delivery's
 * outbound attempts) and pg (every PostgreSQL statement). Kafka is traced by `@hookstream/kafka`
 * itself (its transport and producer), not by the kafkajs instrumentation.
 *
 * Must run before the instrumented modules are loaded: each app's `main.ts` imports its
 * `tracing.ts` first. The SDK's metrics and logs exporters stay off unless asked for
 * (`OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER`): metrics are Prometheus', logs pino's.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingRequested(env)) return false;
  env['OTEL_METRICS_EXPORTER'] ??= 'none';
  env['OTEL_LOGS_EXPORTER'] ??= 'none';
  env['OTEL_SERVICE_NAME'] ??= serviceName;
  // Loaded only when tracing is on: nothing of the SDK is in memory otherwise.
  const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  sdk = new Sdk({
    serviceName,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not traffic.
        ignoreIncomingRequestHook: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? ''),
      }),
      new UndiciInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return true;
}

/** Flushes and stops the SDK (graceful shutdown); a no-op when tracing is off. */
export async function stopTracing(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  if (s) await s.shutdown();
}

/** `trace_id` / `span_id` of the active span, for log lines (empty when none). */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpan(context.active())?.spanContext();
  return sc && isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/**
 * Runs `fn` inside a span whose parent is the W3C `traceparent` given (a trace carried through
 * Kafka or a table), so what `fn` does — statements, HTTP calls — joins that trace. Without
 * tracing, just `fn()`.
 */
export async function inSpan<T>(name: string, traceparent: string | undefined, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  if (!sdk) return fn();
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();
  const span: Span = trace.getTracer('hookstream').startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
    throw err;
  } finally {
    span.end();
  }
}
