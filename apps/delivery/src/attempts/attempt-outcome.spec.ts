import { decideAttempt, parseSchedule, type DecideInput } from './attempt-outcome';

const now = new Date('2026-03-01T10:00:00Z');
const schedule = [0, 5_000, 300_000];
const bounds = { min: 1_000, max: 3_600_000 };
const mid = () => 0.5; // no jitter

function input(overrides: Partial<DecideInput>): DecideInput {
  return {
    result: { kind: 'response', status: 200, headers: {}, body: '', latencyMs: 5 },
    attempt: 1,
    schedule,
    now,
    retryAfter: bounds,
    rng: mid,
    ...overrides,
  };
}

const response = (status: number, headers: Record<string, string> = {}) => ({ kind: 'response' as const, status, headers, body: '', latencyMs: 3 });

describe('decideAttempt', () => {
  it('2xx succeeds with nothing further scheduled', () => {
    expect(decideAttempt(input({ result: response(204) }))).toMatchObject({ outcome: 'succeeded', status: 'succeeded', nextAttemptAt: null, verdict: 'success' });
  });

  it('a failed first attempt is retried after the second delay of the schedule', () => {
    const d = decideAttempt(input({ result: response(500) }));
    expect(d).toMatchObject({ outcome: 'failed', status: 'failed', httpStatus: 500, error: 'HTTP 500', verdict: 'failure' });
    expect(d.nextAttemptAt?.getTime()).toBe(now.getTime() + 5_000);
  });

  it('jitters retries within ±10 %', () => {
    const low = decideAttempt(input({ result: response(500), attempt: 2, rng: () => 0 }));
    const high = decideAttempt(input({ result: response(500), attempt: 2, rng: () => 0.999999 }));
    expect(low.nextAttemptAt?.getTime()).toBe(now.getTime() + 270_000);
    expect((high.nextAttemptAt as Date).getTime() - now.getTime()).toBeGreaterThan(329_000);
    expect((high.nextAttemptAt as Date).getTime() - now.getTime()).toBeLessThanOrEqual(330_000);
  });

  it('is exhausted once the schedule is used up', () => {
    expect(decideAttempt(input({ result: response(500), attempt: 3 }))).toMatchObject({ outcome: 'exhausted', status: 'exhausted', nextAttemptAt: null });
  });

  it('410 cancels the delivery and reports the endpoint disabled', () => {
    expect(decideAttempt(input({ result: response(410) }))).toMatchObject({ outcome: 'endpoint_disabled', status: 'cancelled', nextAttemptAt: null, httpStatus: 410 });
  });

  it('honours Retry-After on 429/503 within bounds, and falls back to the schedule without it', () => {
    const d = decideAttempt(input({ result: response(429, { 'retry-after': '120' }) }));
    expect(d.nextAttemptAt?.getTime()).toBe(now.getTime() + 120_000);
    const capped = decideAttempt(input({ result: response(503, { 'retry-after': '999999' }) }));
    expect(capped.nextAttemptAt?.getTime()).toBe(now.getTime() + bounds.max);
    const plain = decideAttempt(input({ result: response(503) }));
    expect(plain.nextAttemptAt?.getTime()).toBe(now.getTime() + 5_000);
    // Retry-After on a status that does not call for it is ignored.
    const other = decideAttempt(input({ result: response(500, { 'retry-after': '120' }) }));
    expect(other.nextAttemptAt?.getTime()).toBe(now.getTime() + 5_000);
  });

  it('treats a redirect as a failure', () => {
    expect(decideAttempt(input({ result: response(301, { location: 'http://10.0.0.1/' }) }))).toMatchObject({ outcome: 'failed', error: 'HTTP 301 (redirects are not followed)' });
  });

  it('timeouts and connection errors retry and count against the circuit; refusals do not', () => {
    const timeout = decideAttempt(input({ result: { kind: 'error', error: 'timeout', message: 'slow', latencyMs: 15000 } }));
    expect(timeout).toMatchObject({ outcome: 'failed', httpStatus: null, error: 'timeout: slow', verdict: 'failure' });
    const refused = decideAttempt(input({ result: { kind: 'error', error: 'refused', message: 'private', latencyMs: 0 } }));
    expect(refused).toMatchObject({ outcome: 'failed', verdict: 'neutral' });
  });
});

describe('parseSchedule', () => {
  it('reads bare numbers as seconds and accepts units', () => {
    expect(parseSchedule('0,5,300')).toEqual([0, 5_000, 300_000]);
    expect(parseSchedule('0, 1.5, 250ms, 2m, 1h')).toEqual([0, 1_500, 250, 120_000, 3_600_000]);
  });
});
