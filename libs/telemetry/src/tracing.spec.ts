import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { activeTraceIds, inSpan, tracingEnabled, tracingRequested } from './tracing';

describe('tracing switch', () => {
  it('is off unless an exporter is asked for, and OTEL_SDK_DISABLED / none win', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(false);
    expect(tracingRequested({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toBe(false);
  });

  it('runs inSpan callbacks as they are when tracing is off', async () => {
    expect(tracingEnabled()).toBe(false);
    await expect(inSpan('x', undefined, {}, async () => 42)).resolves.toBe(42);
  });
});

describe('trace ids for log lines', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => context.disable());

  it('gives the active span\'s trace_id and span_id, and nothing outside a span', async () => {
    const span = new BasicTracerProvider().getTracer('test').startSpan('work');
    const inside = await context.with(trace.setSpan(context.active(), span), async () => {
      await new Promise((r) => setTimeout(r, 1));
      return activeTraceIds();
    });
    expect(inside).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(activeTraceIds()).toEqual({});
    span.end();
  });
});
