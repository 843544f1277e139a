import { isoOrNull } from './iso-time';

describe('isoOrNull', () => {
  it('writes a Date or a timestamp string as ISO 8601 UTC, and keeps a missing time missing', () => {
    expect(isoOrNull(new Date(Date.UTC(2026, 1, 28, 14, 30)))).toBe('2026-02-28T14:30:00.000Z');
    expect(isoOrNull('2026-02-28 15:30:00+01')).toBe('2026-02-28T14:30:00.000Z');
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull(undefined)).toBeNull();
  });
});
