/**
 * Timestamps as senders write them, turned into one UTC ISO string (`Date#toISOString()`).
 *
 * Accepted:
 * - ISO 8601 / RFC 3339 date-times with `Z` or a numeric offset: `2026-02-28T14:30:00Z`,
 *   `2026-03-01T10:00:00-05:00`, fractions of a second, offsets with or without a colon.
 * - ActiveCampaign's `date_time`: a space instead of `T`, and optionally a space before the offset:
 *   `2013-01-01 12:00:00 -05:00`.
 * - Epoch numbers, or strings of digits: below 1e11 they are seconds (1e11 s is the year 5138),
 *   from 1e11 up to 1e14 milliseconds (1e11 ms is March 1973, so no plausible event time is
 *   misread), anything larger is refused rather than guessed (microseconds, nanoseconds).
 * - Results must fall in the years 1970–9999.
 *
 * A date-time without an offset is ambiguous and refused, unless the caller says how to read it
 * (`naiveAsUtc`).
 */

export const EPOCH_MS_THRESHOLD = 1e11;
export const EPOCH_MAX = 1e14;
const MIN_MS = 0;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type TimestampResult =
  | { ok: true; iso: string; epochMs: number; naive: boolean }
  | { ok: false; rule: string; message: string };

export interface TimestampOptions {
  /** Read a date-time without an offset as UTC instead of refusing it. */
  naiveAsUtc?: boolean;
}

export const TIMESTAMP_RULE = 'isTimestamp';
export const TIMESTAMP_HINT =
  'an ISO 8601 date-time with an offset (e.g. 2026-02-28T14:30:00Z) or epoch seconds/milliseconds';
export const UTC_ISO_RULE = 'isUtcIso8601';
export const UTC_ISO_HINT = 'an ISO 8601 UTC string, e.g. 2026-02-28T14:30:00Z';

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)? ?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

function fail(message: string): TimestampResult {
  return { ok: false, rule: TIMESTAMP_RULE, message };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function fromEpochMs(ms: number, naive = false): TimestampResult {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return fail('timestamp is outside 1970–9999');
  return { ok: true, iso: new Date(ms).toISOString(), epochMs: ms, naive };
}

/** Parses an ISO 8601 date-time (see the module comment); calendar-invalid dates such as Feb 30 are refused. */
export function parseIsoDateTime(text: string, options: TimestampOptions = {}): TimestampResult {
  const m = ISO_RE.exec(text.trim());
  if (!m) return fail(`must be ${TIMESTAMP_HINT}`);
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return fail('is not a calendar date');
  if (hour > 23 || minute > 59 || second > 59) return fail('is not a valid time of day');
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone === undefined) {
    if (!options.naiveAsUtc) return fail('has no timezone offset; add Z or an offset such as -05:00');
  } else if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 18 || om > 59) return fail('has an invalid timezone offset');
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return fromEpochMs(ms, zone === undefined);
}

/** Epoch seconds or milliseconds, decided by magnitude (see the module comment). */
export function parseEpoch(value: number): TimestampResult {
  if (!Number.isFinite(value) || value <= 0) return fail('epoch timestamp must be a positive number');
  if (value >= EPOCH_MAX) return fail('epoch timestamp is too large (expected seconds or milliseconds)');
  return fromEpochMs(value < EPOCH_MS_THRESHOLD ? Math.round(value * 1000) : Math.round(value));
}

const NUMERIC_RE = /^\d+(?:\.\d+)?$/;

/** Any accepted form: epoch number, digit string, or ISO 8601 / ActiveCampaign date-time string. */
export function parseTimestamp(value: unknown, options: TimestampOptions = {}): TimestampResult {
  if (typeof value === 'number') return parseEpoch(value);
  if (typeof value !== 'string') return fail(`must be ${TIMESTAMP_HINT}`);
  const text = value.trim();
  if (NUMERIC_RE.test(text)) return parseEpoch(Number(text));
  return parseIsoDateTime(text, options);
}

const UTC_ISO_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|\+00:?00)$/;

/** Activly's rule: an ISO 8601 date-time that is explicitly UTC (`Z` or `+00:00`) and a real calendar time. */
export function isUtcIso8601(value: unknown): value is string {
  return typeof value === 'string' && UTC_ISO_RE.test(value) && parseIsoDateTime(value).ok;
}
