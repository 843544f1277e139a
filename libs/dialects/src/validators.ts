import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { registerDecorator, validateSync, type ValidationArguments, type ValidationOptions } from 'class-validator';
import type { ValidationReason } from '@hookstream/contracts';
import { parseAmount, parseQuantity, QUANTITY_RULE, AMOUNT_RULE } from './amount';
import { CURRENCY_RULE, normaliseCurrency } from './currency';
import { isEmail } from './email-search';
import { FORBIDDEN_KEYS } from './form-body';
import { countryCodeOf } from './location';
import { validationErrorsToReasons } from './reasons';
import { isUtcIso8601, parseTimestamp, TIMESTAMP_HINT, TIMESTAMP_RULE, UTC_ISO_HINT, UTC_ISO_RULE } from './timestamps';

/** Registers a property decorator whose constraint key (the reason's `rule`) is `name`. */
function rule(name: string, test: (value: unknown) => boolean, describe: (property: string) => string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target: object, propertyName: string | symbol) => {
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyName),
        options,
        validator: {
          validate: (value: unknown) => test(value),
          defaultMessage: (args?: ValidationArguments) => describe(args?.property ?? String(propertyName)),
        },
      });
    };
}

export const IsUtcIso8601 = rule(UTC_ISO_RULE, isUtcIso8601, (p) => `${p} must be ${UTC_ISO_HINT}`);

export const IsTimestampLike = rule(TIMESTAMP_RULE, (v) => parseTimestamp(v).ok, (p) => `${p} must be ${TIMESTAMP_HINT}`);

/** ActiveCampaign-style `date_time`: like IsTimestampLike, but a missing offset is read as UTC. */
export const IsDateTimeLike = rule(
  TIMESTAMP_RULE,
  (v) => parseTimestamp(v, { naiveAsUtc: true }).ok,
  (p) => `${p} must be a date-time such as 2013-01-01 12:00:00 -05:00 or 2026-03-01T10:00:00-05:00`,
);

export const IsEmailAddress = rule('isEmail', isEmail, (p) => `${p} must be an email address`);

export const IsCurrencyLike = rule(
  CURRENCY_RULE,
  (v) => normaliseCurrency(v).ok,
  (p) => `${p} must be an ISO 4217 currency code such as "USD" (or an unambiguous symbol such as €)`,
);

export const IsAmountLike = rule(
  AMOUNT_RULE,
  (v) => parseAmount(v).ok,
  (p) => `${p} must be a number or a numeric string such as "49.00" or "1,299.50"`,
);

export const IsQuantityLike = rule(QUANTITY_RULE, (v) => parseQuantity(v) !== null, (p) => `${p} must be a whole number ≥ 0`);

export const IsStringOrNumber = rule(
  'isStringOrNumber',
  (v) => (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v)),
  (p) => `${p} must be a non-empty string or a number`,
);

export const IsCountryCode = rule(
  'isISO31661Alpha2',
  (v) => countryCodeOf(v) !== null,
  (p) => `${p} must be a two-letter ISO 3166-1 country code such as "US"`,
);

export const IsPlainObject = rule(
  'isObject',
  (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
  (p) => `${p} must be an object`,
);

/** `a, b` or `['a', 'b']`: ActiveCampaign sends a comma-separated string, JSON senders an array. */
export const IsTagList = rule(
  'isTagList',
  (v) => typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string')),
  (p) => `${p} must be a comma-separated string or an array of strings`,
);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Copies the named keys out of a payload object. Only known keys reach class-transformer, so a
 * payload's `__proto__` or `constructor` can never shape the DTO instance; with `blankAsAbsent`
 * an empty string counts as not sent (form bodies send `field=` for every empty field).
 */
export function pickKeys(
  source: Record<string, unknown>,
  keys: readonly string[],
  blankAsAbsent = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (FORBIDDEN_KEYS.has(key) || !Object.prototype.hasOwnProperty.call(source, key)) continue;
    const value = source[key];
    if (blankAsAbsent && typeof value === 'string' && value.trim() === '') continue;
    out[key] = value;
  }
  return out;
}

/** Payload keys not in `known`, for `attributes` (forbidden keys dropped). */
export function unknownKeys(source: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (known.has(key) || FORBIDDEN_KEYS.has(key)) continue;
    out[key] = value;
  }
  return out;
}

/**
 * A copy without `__proto__`/`constructor`/`prototype` keys at any depth. class-transformer reads
 * `value.constructor` of every nested object, so a payload key named `constructor` (say
 * `{"event":[{"constructor":" "}]}`, found by the fuzz tests) would make it throw a TypeError.
 */
function withoutForbiddenKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutForbiddenKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!FORBIDDEN_KEYS.has(k)) out[k] = withoutForbiddenKeys(v);
  return out;
}

/** plainToInstance + validateSync, every failure turned into a reason (all of them, not just the first). */
export function validateDto<T extends object>(cls: ClassConstructor<T>, plain: Record<string, unknown>): { dto: T; reasons: ValidationReason[] } {
  const dto = plainToInstance(cls, withoutForbiddenKeys(plain) as Record<string, unknown>, { enableImplicitConversion: false });
  const errors = validateSync(dto, { forbidUnknownValues: false, validationError: { target: false, value: true } });
  // Two decorators can name the same failure (IsPlainObject and ValidateNested on a string): report it once.
  const seen = new Set<string>();
  const reasons = validationErrorsToReasons(errors).filter((r) => {
    const key = `${r.path}\u0000${r.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { dto, reasons };
}
