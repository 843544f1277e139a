import { classifyResponse, DEFAULT_RETRY_SCHEDULE_MS, nextDelayMs, parseRetrySchedule, retryAfterMs } from './retry-schedule';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const mid = () => 0.5;
const low = () => 0;
const high = () => 0.999999;

describe('DEFAULT_RETRY_SCHEDULE_MS', () => {
  it('is the Standard Webhooks schedule', () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([0, 5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
  });
});

describe('parseRetrySchedule', () => {
  it('reads units and bare milliseconds', () => {
    expect(parseRetrySchedule('0, 5s, 5m, 30m, 2h, 1d, 250, 1.5s')).toEqual([0, 5 * S, 5 * M, 30 * M, 2 * H, 24 * H, 250, 1500]);
  });

  it('reproduces the default from its written form', () => {
    expect(parseRetrySchedule('0,5s,5m,30m,2h,5h,10h,14h,20h,24h')).toEqual([...DEFAULT_RETRY_SCHEDULE_MS]);
  });

  it.each(['', '5x', '-1s', '1,,2', 'soon'])('refuses %p', (spec) => {
    expect(() => parseRetrySchedule(spec)).toThrow(RangeError);
  });
});

describe('nextDelayMs', () => {
  it('makes attempt 1 immediate', () => {
    expect(nextDelayMs(1, DEFAULT_RETRY_SCHEDULE_MS, high)).toBe(0);
    expect(nextDelayMs(1, [60 * S, 5 * S], high)).toBe(0);
  });

  it('returns the scheduled delay for each later attempt when the jitter is centred', () => {
    for (let attempt = 2; attempt <= DEFAULT_RETRY_SCHEDULE_MS.length; attempt++) {
      expect(nextDelayMs(attempt, DEFAULT_RETRY_SCHEDULE_MS, mid)).toBe(DEFAULT_RETRY_SCHEDULE_MS[attempt - 1]);
    }
  });

  it('jitters by at most ±10%', () => {
    expect(nextDelayMs(3, DEFAULT_RETRY_SCHEDULE_MS, low)).toBe(270 * S);
    expect(nextDelayMs(3, DEFAULT_RETRY_SCHEDULE_MS, high)).toBe(330 * S);
    for (let i = 0; i < 200; i++) {
      const d = nextDelayMs(10, DEFAULT_RETRY_SCHEDULE_MS)!;
      expect(d).toBeGreaterThanOrEqual(0.9 * 24 * H);
      expect(d).toBeLessThanOrEqual(1.1 * 24 * H);
    }
  });

  it('is never negative, even for a zero delay with the lowest jitter', () => {
    expect(nextDelayMs(2, [0, 0, 1], low)).toBe(0);
    expect(nextDelayMs(3, [0, 0, 1], low)).toBeGreaterThanOrEqual(0);
  });

  it('returns null once the schedule is used up', () => {
    expect(nextDelayMs(10, DEFAULT_RETRY_SCHEDULE_MS, mid)).toBe(24 * H);
    expect(nextDelayMs(11, DEFAULT_RETRY_SCHEDULE_MS, mid)).toBeNull();
    expect(nextDelayMs(3, [0, 5 * S], mid)).toBeNull();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %p', (attempt) => {
    expect(() => nextDelayMs(attempt)).toThrow(RangeError);
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const bounds = { min: 1 * S, max: 1 * H };

  it('reads delta-seconds', () => {
    expect(retryAfterMs('120', now, bounds)).toBe(120 * S);
    expect(retryAfterMs(' 30 ', now, bounds)).toBe(30 * S);
  });

  it('reads the three HTTP-date forms relative to now', () => {
    expect(retryAfterMs('Sun, 01 Mar 2026 12:02:00 GMT', now, bounds)).toBe(2 * M);
    expect(retryAfterMs('Sunday, 01-Mar-26 12:02:00 GMT', now, bounds)).toBe(2 * M);
    expect(retryAfterMs('Sun Mar  1 12:02:00 2026', now, bounds)).toBe(2 * M);
  });

  it('clamps to the bounds', () => {
    expect(retryAfterMs('0', now, bounds)).toBe(1 * S);
    expect(retryAfterMs('86400', now, bounds)).toBe(1 * H);
    expect(retryAfterMs('99999999999999999999999', now, bounds)).toBe(1 * H);
    expect(retryAfterMs('Sun, 01 Mar 2026 11:00:00 GMT', now, bounds)).toBe(1 * S);
    expect(retryAfterMs('Mon, 02 Mar 2026 12:00:00 GMT', now, bounds)).toBe(1 * H);
  });

  it.each([undefined, null, '', 'soon', '-5', '1.5', '2026-03-01T12:02:00Z', 'Sun, 99 Foo 2026 12:02:00 GMT'])(
    'returns null for %p',
    (value) => {
      expect(retryAfterMs(value, now, bounds)).toBeNull();
    },
  );
});

describe('classifyResponse', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [299, 'success'],
    [410, 'disable'],
    [429, 'retry_after'],
    [502, 'retry_after'],
    [503, 'retry_after'],
    [504, 'retry_after'],
    [100, 'retry'],
    [199, 'retry'],
    [300, 'retry'],
    [301, 'retry'],
    [302, 'retry'],
    [307, 'retry'],
    [308, 'retry'],
    [400, 'retry'],
    [401, 'retry'],
    [404, 'retry'],
    [409, 'retry'],
    [500, 'retry'],
    [501, 'retry'],
  ] as const)('%i → %s', (status, expected) => {
    expect(classifyResponse(status)).toBe(expected);
  });
});
