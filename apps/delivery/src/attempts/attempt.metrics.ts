import { counter, histogram, LATENCY_BUCKETS } from '@hookstream/platform';
import { ATTEMPT_OUTCOMES } from '@hookstream/contracts';
import type { AttemptDecision } from './attempt-outcome';

/*
 * `endpoint` is empty (Prometheus drops empty labels) unless DELIVERY_METRICS_ENDPOINT_LABELS=true:
 * one series per endpoint is fine for a few hundred endpoints, not for a multi-tenant fleet.
 */
const attempts = counter<'outcome' | 'endpoint'>({
  name: 'hookstream_delivery_attempts_total',
  help: 'Attempts by outcome: succeeded, failed (another attempt is scheduled), exhausted, endpoint_disabled (410 Gone), skipped (not sent: endpoint disabled or unknown)',
  labelNames: ['outcome', 'endpoint'],
});
const deliveries = counter<'status' | 'endpoint'>({
  name: 'hookstream_delivery_deliveries_total',
  help: 'Deliveries that reached a final state: succeeded, exhausted (retries used up) or cancelled',
  labelNames: ['status', 'endpoint'],
});
const attemptSeconds = histogram<'endpoint'>({
  name: 'hookstream_delivery_attempt_duration_seconds',
  help: 'Outbound attempt latency, connect to response (attempts that were sent)',
  labelNames: ['endpoint'],
  buckets: LATENCY_BUCKETS,
});
const disabledByReceiver = counter({ name: 'hookstream_delivery_endpoints_disabled_total', help: 'Endpoints disabled because they answered 410 Gone' });

/** Final states of a delivery row; `failed` means another attempt is scheduled. */
const FINAL = new Set(['succeeded', 'exhausted', 'cancelled']);

/**
 * Every outcome and final status at 0 from the start (without endpoint labels: a fixed set), so
 * `/metrics` shows them before the first attempt and `rate()` and the failure-ratio alert have a
 * series to work on from the first scrape.
 */
export function initAttemptMetrics(endpointLabels: boolean): void {
  if (endpointLabels) return;
  for (const outcome of ATTEMPT_OUTCOMES) attempts.inc({ outcome, endpoint: '' }, 0);
  for (const status of FINAL) deliveries.inc({ status, endpoint: '' }, 0);
}

/** Counts one attempt and, when it ended the delivery, the delivery. */
export function recordAttemptMetrics(decision: Pick<AttemptDecision, 'outcome' | 'status'>, latencyMs: number, endpointId: string, endpointLabels: boolean): void {
  const endpoint = endpointLabels ? endpointId : '';
  attempts.inc({ outcome: decision.outcome, endpoint });
  if (latencyMs > 0) attemptSeconds.observe({ endpoint }, latencyMs / 1000);
  if (FINAL.has(decision.status)) deliveries.inc({ status: decision.status, endpoint });
  if (decision.outcome === 'endpoint_disabled') disabledByReceiver.inc();
}
