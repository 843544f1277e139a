import { ApiError } from './api-error';
import { decodeKeysetCursor, encodeKeysetCursor, toKeysetPage } from './keyset-cursor';

describe('keyset cursor', () => {
  it('round-trips (time, id) and refuses forged cursors', () => {
    const c = encodeKeysetCursor({ at: '2026-03-01T12:00:00.123Z', id: 'evt_0abc' });
    expect(decodeKeysetCursor(c)).toEqual({ at: '2026-03-01T12:00:00.123Z', id: 'evt_0abc' });
    expect(decodeKeysetCursor(undefined)).toBeUndefined();
    expect(() => decodeKeysetCursor('garbage')).toThrow(ApiError);
    expect(() => decodeKeysetCursor(Buffer.from(JSON.stringify({ t: 'x', id: 'evt_1' })).toString('base64url'))).toThrow(ApiError);
    expect(() => decodeKeysetCursor(Buffer.from(JSON.stringify({ t: '2026-03-01T00:00:00Z', id: "1' OR 1=1" })).toString('base64url'))).toThrow(ApiError);
  });

  it('keeps the microseconds PostgreSQL gives (rows of one batch insert differ below the millisecond)', () => {
    const c = encodeKeysetCursor({ at: '2026-03-01T12:00:00.123456Z', id: 'dlv_0abc' });
    expect(decodeKeysetCursor(c)).toEqual({ at: '2026-03-01T12:00:00.123456Z', id: 'dlv_0abc' });
    expect(() => decodeKeysetCursor(Buffer.from(JSON.stringify({ t: '2026-03-01 12:00:00', id: 'dlv_1' })).toString('base64url'))).toThrow(ApiError);
  });

  it('points the next cursor at the last row shown', () => {
    const rows = [{ id: 'evt_3', t: '2026-03-01T00:00:03.000Z' }, { id: 'evt_2', t: '2026-03-01T00:00:02.000Z' }, { id: 'evt_1', t: '2026-03-01T00:00:01.000Z' }];
    const page = toKeysetPage(rows, 2, (r) => ({ at: r.t, id: r.id }), (r) => r.id);
    expect(page.data).toEqual(['evt_3', 'evt_2']);
    expect(decodeKeysetCursor(page.nextCursor ?? '')).toEqual({ at: '2026-03-01T00:00:02.000Z', id: 'evt_2' });
    expect(toKeysetPage(rows, 3, (r) => ({ at: r.t, id: r.id }), (r) => r.id).nextCursor).toBeNull();
  });
});
