/**
 * When to try a delivery again. The default is the Standard Webhooks schedule: immediately,
 * then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h after the previous attempt
 * (about three days end to end).
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay before attempt n (index n-1), measured from the previous attempt. */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
]);

/** Spreads retries of many deliveries that failed together so they do not return as one wave. */
export const RETRY_JITTER = 0.1;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: 24 * HOUR };

/** Parses a configured schedule such as `0,5s,5m,30m,2h` (bare numbers are milliseconds). */
export function parseRetrySchedule(spec: string): number[] {
  const items = spec.split(',').map((s) => s.trim());
  return items.map((item) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(item);
    if (!m) throw new RangeError(`invalid retry delay "${item}" in "${spec}" (expected e.g. 0,5s,5m,2h)`);
    return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']);
  });
}

/**
 * Delay before `attempt` (1-based), with ±10% jitter, or null when the schedule is used up.
 * Attempt 1 is immediate whatever the schedule says: the first try is never held back.
 */
export function nextDelayMs(
  attempt: number,
  schedule: readonly number[] = DEFAULT_RETRY_SCHEDULE_MS,
  rng: () => number = Math.random,
): number | null {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  if (attempt === 1) return 0;
  if (attempt > schedule.length) return null;
  const base = schedule[attempt - 1];
  const factor = 1 + (rng() * 2 - 1) * RETRY_JITTER;
  return Math.max(0, Math.round(base * factor));
}

export interface DelayBounds {
  /** Milliseconds. */
  min: number;
  /** Milliseconds; a receiver must not be able to park a delivery for days. */
  max: number;
}

/**
 * A `Retry-After` header as milliseconds from `now`, clamped to `bounds`; null when the
 * header is absent or unreadable (the caller then falls back to its schedule).
 * Accepts delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`).
 */
export function retryAfterMs(headerValue: string | null | undefined, now: Date, bounds: DelayBounds): number | null {
  const text = headerValue?.trim();
  if (!text) return null;
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * SECOND;
  } else {
    // HTTP-dates always name a weekday and GMT; requiring that keeps Date.parse from
    // accepting arbitrary text like "2" or "soon".
    if (!/^[A-Za-z]{3,9}, .*GMT$|^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/.test(text)) return null;
    const at = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
    if (Number.isNaN(at)) return null;
    ms = at - now.getTime();
  }
  if (!Number.isFinite(ms)) return bounds.max;
  return Math.min(bounds.max, Math.max(bounds.min, ms));
}

export type ResponseClass = 'success' | 'disable' | 'retry_after' | 'retry';

/**
 * What a receiver's status means for the delivery. Redirects are never followed (the
 * target was not SSRF-checked), so a 3xx is a failure like any other.
 * - 2xx: delivered.
 * - 410 Gone: the receiver says the endpoint no longer exists; disable it (Standard Webhooks).
 * - 429/502/503/504: overloaded or temporarily away; honour Retry-After when given.
 * - anything else: retry on the schedule.
 */
export function classifyResponse(status: number): ResponseClass {
  if (status >= 200 && status <= 299) return 'success';
  if (status === 410) return 'disable';
  if (status === 429 || status === 502 || status === 503 || status === 504) return 'retry_after';
  return 'retry';
}
