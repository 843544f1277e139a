import { ApiError } from './api-error';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursor pagination', () => {
  it('round-trips the last id through an opaque cursor', () => {
    const c = encodeCursor('src_0mwvvn0rk8am51gczvehk');
    expect(c).not.toContain('src_');
    expect(decodeCursor(c)).toBe('src_0mwvvn0rk8am51gczvehk');
  });

  it('treats a missing cursor as the first page and refuses a forged one', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(() => decodeCursor('garbage')).toThrow(ApiError);
    expect(() => decodeCursor(Buffer.from(JSON.stringify({ id: "x' OR 1=1" })).toString('base64url'))).toThrow(ApiError);
  });

  it('uses the extra row only to decide whether there is a next page', () => {
    const rows = [{ id: 'a_3' }, { id: 'a_2' }, { id: 'a_1' }];
    const page = toPage(rows, 2, (r) => r.id);
    expect(page.data).toEqual(['a_3', 'a_2']);
    expect(decodeCursor(page.nextCursor ?? '')).toBe('a_2');
    expect(toPage(rows, 3, (r) => r.id).nextCursor).toBeNull();
  });
});
