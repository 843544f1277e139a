import { HttpStatus } from '@nestjs/common';
import { ApiError, ApiErrorCode } from './api-error';

/** Position in a list ordered by (time DESC, id DESC): opaque to clients. */
export interface KeysetPosition {
  at: string;
  id: string;
}

export function encodeKeysetCursor(p: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ t: p.at, id: p.id }), 'utf8').toString('base64url');
}

export function decodeKeysetCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; id?: unknown };
    if (typeof parsed.t === 'string' && typeof parsed.id === 'string' && /^[a-z]+_[0-9a-z]+$/.test(parsed.id) && !Number.isNaN(Date.parse(parsed.t))) {
      return { at: new Date(parsed.t).toISOString(), id: parsed.id };
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
