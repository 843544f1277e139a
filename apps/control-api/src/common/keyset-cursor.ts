import { HttpStatus } from '@nestjs/common';
import type { KeysetPosition } from '@hookstream/db';
import { ApiError, ApiErrorCode } from './api-error';

// The position and its SQL live in libs/db, beside the repositories that page with them; the cursor text is the API's.
export { keysetTime, type KeysetPosition } from '@hookstream/db';

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export function encodeKeysetCursor(p: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ t: p.at, id: p.id }), 'utf8').toString('base64url');
}

export function decodeKeysetCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    if (typeof parsed.t === 'string' && typeof parsed.id === 'string' && /^[a-z]+_[0-9a-z]+$/.test(parsed.id) && CURSOR_TIME.test(parsed.t) && !Number.isNaN(Date.parse(parsed.t))) {
      // Kept as text: a Date would drop the microseconds.
      return { at: parsed.t, id: parsed.id };
    }
  } catch {
    // fall through
  }
  throw new ApiError(ApiErrorCode.invalidCursor, 'cursor is not one this API handed out', HttpStatus.BAD_REQUEST);
}

/** Rows were fetched with limit + 1: the extra row only tells whether there is a next page. */
export function toKeysetPage<R, T>(rows: R[], limit: number, position: (row: R) => KeysetPosition, view: (row: R) => T): { data: T[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { data: shown.map(view), nextCursor: more ? encodeKeysetCursor(position(shown[shown.length - 1])) : null };
}
