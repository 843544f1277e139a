import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiError, ApiErrorCode } from './api-error';
import { HttpStatus } from '@nestjs/common';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Cursors are opaque to clients (so the ordering key can change) but are simply the last id
 * seen: ids are time-ordered, so "id < cursor" walks newest to oldest without offsets.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ id: lastId }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const id = (parsed as { id?: unknown }).id;
    if (typeof id === 'string' && /^[a-z]+_[0-9a-z]+$/.test(id)) return id;
  } catch {
    // fall through
  }
  throw new ApiError(ApiErrorCode.invalidCursor, 'cursor is not one this API handed out', HttpStatus.BAD_REQUEST);
}

/** Rows were fetched with limit + 1: the extra row only tells whether there is a next page. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { data: shown.map(view), nextCursor: more ? encodeCursor(shown[shown.length - 1].id) : null };
}

export function pageLimit(q: PageQueryDto): number {
  return q.limit ?? DEFAULT_PAGE_SIZE;
}
