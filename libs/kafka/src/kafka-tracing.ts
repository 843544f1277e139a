import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type SpanContext } from '@opentelemetry/api';
import { errorMessage } from '@hookstream/contracts';
import type { InboundMessage } from './messages';

/*
 * Kafka spans, made here rather than by @opentelemetry/instrumentation-kafkajs: that one wraps
 * `eachBatch` in one span per batch and runs the handler outside every message's context, and on
 * send it writes its own `traceparent` over the one the app chose. Here a consumer span per
 * message continues the record's `traceparent`, and a producer span per record parents the
 * `traceparent` written on it — so one trace runs from the gateway request through every hop.
 * Off (the default) nothing below runs.
 */

let enabled = false;

/** Called once at start by the platform when the OpenTelemetry SDK is running. */
export function enableKafkaTracing(on = true): void {
  enabled = on;
}

export function kafkaTracingEnabled(): boolean {
  return enabled;
}

const tracer = () => trace.getTracer('hookstream-kafka');

/**
 * Consumer spans still open, by trace id. A handler produces with `childTraceparent(parent)`,
 * a new span id nobody exported; the producer looks the trace up here to parent its span on the
 * consumer span that led to it (batch handlers run many messages in one call, so the active
 * context cannot say which).
 */
const open = new Map<string, Span[]>();

export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}`;
}

/** One consumer span per message, each a child of its record's `traceparent`; undefined when off. */
export function startConsumerSpans(topic: string, msgs: InboundMessage[]): Span[] | undefined {
  if (!enabled) return undefined;
  return msgs.map((m) => {
    const parent = propagation.extract(ROOT_CONTEXT, m.headers);
    const span = tracer().startSpan(
      `${topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(m.partition),
          'messaging.kafka.offset': Number(m.offset),
          ...(m.envelope ? { 'messaging.message.id': m.envelope.id } : {}),
        },
      },
      parent,
    );
    const sc = span.spanContext();
    // What the handler sees as its parent is this span, so what it keeps (delivery keeps it for the attempt) joins here.
    if (m.envelope) m.envelope.traceparent = traceparentOf(sc);
    const list = open.get(sc.traceId);
    if (list) list.push(span);
    else open.set(sc.traceId, [span]);
    return span;
  });
}

/** Runs the handler in the first message's span, so its statements and calls join a trace. */
export function inConsumerSpan<T>(spans: Span[] | undefined, fn: () => Promise<T>): Promise<T> {
  if (!spans || spans.length === 0) return fn();
  return context.with(trace.setSpan(context.active(), spans[0]), fn);
}

export function endConsumerSpans(spans: Span[] | undefined, err?: unknown): void {
  if (!spans) return;
  for (const span of spans) {
    if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
    span.end();
    const id = span.spanContext().traceId;
    const list = open.get(id);
    if (!list) continue;
    const i = list.indexOf(span);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) open.delete(id);
  }
}

/** The producer span's parent: the open consumer span of the same trace, else the active span, else the given traceparent. */
function producerParent(traceparent: string | undefined): Context {
  const traceId = traceparent?.slice(3, 35);
  const consuming = traceId ? open.get(traceId) : undefined;
  if (consuming && consuming.length > 0) return trace.setSpan(ROOT_CONTEXT, consuming[0]);
  const active = context.active();
  if (trace.getSpan(active)?.spanContext().traceId) return active;
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/**
 * A producer span for one record: its `traceparent` header is replaced by the span's own, so the
 * consumer's span becomes its child. Returns the span to end when the broker acknowledged.
 */
export function startProducerSpan(topic: string, headers: Record<string, string>): Span | undefined {
  if (!enabled) return undefined;
  const span = tracer().startSpan(
    `${topic} publish`,
    { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': topic } },
    producerParent(headers['traceparent']),
  );
  headers['traceparent'] = traceparentOf(span.spanContext());
  return span;
}

export function endProducerSpans(spans: Span[] | undefined, err?: unknown): void {
  if (!spans) return;
  for (const span of spans) {
    if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
    span.end();
  }
}
