import { EPOCH_MS_THRESHOLD, isUtcIso8601, parseEpoch, parseIsoDateTime, parseTimestamp } from './timestamps';

function iso(value: unknown, naiveAsUtc = false): string {
  const r = parseTimestamp(value, { naiveAsUtc });
  if (!r.ok) throw new Error(`${String(value)}: ${r.message}`);
  return r.iso;
}

describe('parseTimestamp', () => {
  it('reads ISO 8601 with Z and with offsets, with or without colon and fractions', () => {
    expect(iso('2026-02-28T14:30:00Z')).toBe('2026-02-28T14:30:00.000Z');
    expect(iso('2026-03-01T10:00:00-05:00')).toBe('2026-03-01T15:00:00.000Z');
    expect(iso('2026-03-01T10:00:00+0530')).toBe('2026-03-01T04:30:00.000Z');
    expect(iso('2026-03-01T10:00:00+02')).toBe('2026-03-01T08:00:00.000Z');
    expect(iso('2026-02-28T14:30:00.123456Z')).toBe('2026-02-28T14:30:00.123Z');
    expect(iso('2026-02-28T14:30Z')).toBe('2026-02-28T14:30:00.000Z');
    expect(iso('2026-02-28t14:30:00z')).toBe('2026-02-28T14:30:00.000Z');
  });

  it('reads ActiveCampaign date_time forms', () => {
    expect(iso('2013-01-01 12:00:00 -05:00')).toBe('2013-01-01T17:00:00.000Z');
    expect(iso('2013-01-01 12:00:00-05:00')).toBe('2013-01-01T17:00:00.000Z');
  });

  it('crosses the date line with an offset', () => {
    expect(iso('2026-01-01T01:00:00+03:00')).toBe('2025-12-31T22:00:00.000Z');
  });

  it('reads epoch seconds and milliseconds by magnitude, as numbers or digit strings', () => {
    expect(iso(1528611279398)).toBe('2018-06-10T06:14:39.398Z');
    expect(iso(1528611279)).toBe('2018-06-10T06:14:39.000Z');
    expect(iso('1528611279398')).toBe('2018-06-10T06:14:39.398Z');
    expect(iso(' 1528611279 ')).toBe('2018-06-10T06:14:39.000Z');
    expect(iso(1528611279.5)).toBe('2018-06-10T06:14:39.500Z');
    // Either side of the threshold: just below is seconds (year 5138), at it milliseconds (1973).
    expect(iso(EPOCH_MS_THRESHOLD - 1).startsWith('5138-')).toBe(true);
    expect(iso(EPOCH_MS_THRESHOLD)).toBe('1973-03-03T09:46:40.000Z');
  });

  it('refuses a naive date-time unless told to read it as UTC', () => {
    const r = parseTimestamp('2013-01-01 12:00:00');
    expect(r).toEqual({ ok: false, rule: 'isTimestamp', message: 'has no timezone offset; add Z or an offset such as -05:00' });
    const utc = parseTimestamp('2013-01-01 12:00:00', { naiveAsUtc: true });
    expect(utc).toEqual({ ok: true, iso: '2013-01-01T12:00:00.000Z', epochMs: Date.UTC(2013, 0, 1, 12), naive: true });
  });

  it('refuses nonsense, impossible dates and times, bad offsets and out-of-range epochs', () => {
    for (const bad of [
      'yesterday', '', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-02-28T24:00:00Z',
      '2026-02-28T14:60:00Z', '2026-02-28T14:30:60Z', '2026-02-28T14:30:00+19:00', '2026-02-28', 'Sat, 28 Feb 2026 14:30:00 GMT',
      0, -5, 1e14, Number.NaN, Number.POSITIVE_INFINITY, '1e12', null, true, {}, '1969-12-31T23:59:59Z',
    ]) {
      expect(parseTimestamp(bad).ok).toBe(false);
    }
  });

  it('accepts a leap day', () => {
    expect(iso('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('parseIsoDateTime and parseEpoch are usable alone', () => {
    expect(parseIsoDateTime('2026-02-28T14:30:00Z').ok).toBe(true);
    expect(parseIsoDateTime('1528611279').ok).toBe(false);
    expect(parseEpoch(1528611279).ok).toBe(true);
  });
});

describe('isUtcIso8601', () => {
  it('accepts only explicit UTC', () => {
    expect(isUtcIso8601('2026-02-28T14:30:00Z')).toBe(true);
    expect(isUtcIso8601('2026-02-28T14:30:00.120Z')).toBe(true);
    expect(isUtcIso8601('2026-02-28T14:30:00+00:00')).toBe(true);
    expect(isUtcIso8601('2026-02-28T14:30:00+01:00')).toBe(false);
    expect(isUtcIso8601('2026-02-28T14:30:00')).toBe(false);
    expect(isUtcIso8601('2026-02-28 14:30:00Z')).toBe(false);
    expect(isUtcIso8601('2026-02-30T14:30:00Z')).toBe(false);
    expect(isUtcIso8601(1772289000)).toBe(false);
  });
});
