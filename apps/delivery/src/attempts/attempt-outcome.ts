import type { AttemptOutcome } from '@hookstream/contracts';
import type { DeliveryStatus } from '@hookstream/delivery-store';
import { classifyResponse, nextDelayMs, parseRetrySchedule, retryAfterMs, type DelayBounds } from '@hookstream/webhooks';
import type { RunVerdict } from '../dispatch/dispatcher';
import type { OutboundResult } from '../outbound/outbound-client';


export interface AttemptDecision {
  outcome: AttemptOutcome;
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  httpStatus: number | null;
  error: string | null;
  /** For the endpoint's circuit breaker. */
  verdict: RunVerdict;
}

export interface DecideInput {
  result: OutboundResult;
  /** 1-based number of the attempt just made. */
  attempt: number;
  /** Delay before each attempt, from the previous one (ms). */
  schedule: readonly number[];
  now: Date;
  retryAfter: DelayBounds;
  rng?: () => number;
}

/**
 * What one attempt means for its delivery: 2xx succeeds; 410 cancels and disables the
 * endpoint; 429/502/503/504 wait for Retry-After (bounded) when given; anything else —
 * other statuses, 3xx (never followed), timeouts, connection errors, refused destinations —
 * retries on the schedule with ±10 % jitter until it is used up.
 */
export function decideAttempt(input: DecideInput): AttemptDecision {
  const { result, attempt, now } = input;
  const httpStatus = result.kind === 'response' ? result.status : null;
  if (result.kind === 'response') {
    const cls = classifyResponse(result.status);
    if (cls === 'success') return { outcome: 'succeeded', status: 'succeeded', nextAttemptAt: null, httpStatus, error: null, verdict: 'success' };
    if (cls === 'disable') {
      return { outcome: 'endpoint_disabled', status: 'cancelled', nextAttemptAt: null, httpStatus, error: 'HTTP 410 Gone: the endpoint is disabled', verdict: 'failure' };
    }
  }
  const error =
    result.kind === 'error'
      ? `${result.error}: ${result.message}`
      : result.status >= 300 && result.status < 400
        ? `HTTP ${result.status} (redirects are not followed)`
        : `HTTP ${result.status}`;
  const verdict: RunVerdict = result.kind === 'error' && result.error === 'refused' ? 'neutral' : 'failure';

  const scheduled = nextDelayMs(attempt + 1, input.schedule, input.rng);
  if (scheduled === null) return { outcome: 'exhausted', status: 'exhausted', nextAttemptAt: null, httpStatus, error, verdict };
  let delay = scheduled;
  if (result.kind === 'response' && classifyResponse(result.status) === 'retry_after') {
    delay = retryAfterMs(result.headers['retry-after'], now, input.retryAfter) ?? scheduled;
  }
  return { outcome: 'failed', status: 'failed', nextAttemptAt: new Date(now.getTime() + delay), httpStatus, error, verdict };
}

/** DELIVERY_SCHEDULE: bare numbers are seconds (`0,5,300`); `5s`, `5m`, `2h`, `1d`, `250ms` also work. */
export function parseSchedule(spec: string): number[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => (/^\d+(\.\d+)?$/.test(item) ? Math.round(Number(item) * 1000) : parseRetrySchedule(item)[0]));
}

/** `last_error` of a delivery cancelled because its endpoint was deleted, and its attempt row's error. */
export const ENDPOINT_DELETED_REASON = 'endpoint_deleted';
