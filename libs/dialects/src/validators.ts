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

// The test behind each rule below is exported under the decorator's name in lower camel case, so a
// DTO's fast check (DtoFastPath.looksValid) calls exactly what its decorators call.

export const isTimestampLike = (v: unknown): boolean => parseTimestamp(v).ok;
export const IsTimestampLike = rule(TIMESTAMP_RULE, isTimestampLike, (p) => `${p} must be ${TIMESTAMP_HINT}`);

/** ActiveCampaign-style `date_time`: like IsTimestampLike, but a missing offset is read as UTC. */
export const isDateTimeLike = (v: unknown): boolean => parseTimestamp(v, { naiveAsUtc: true }).ok;
export const IsDateTimeLike = rule(
  TIMESTAMP_RULE,
  isDateTimeLike,
  (p) => `${p} must be a date-time such as 2013-01-01 12:00:00 -05:00 or 2026-03-01T10:00:00-05:00`,
);

export const IsEmailAddress = rule('isEmail', isEmail, (p) => `${p} must be an email address`);

export const isCurrencyLike = (v: unknown): boolean => normaliseCurrency(v).ok;
export const IsCurrencyLike = rule(
  CURRENCY_RULE,
  isCurrencyLike,
  (p) => `${p} must be an ISO 4217 currency code such as "USD" (or an unambiguous symbol such as €)`,
);

export const isAmountLike = (v: unknown): boolean => parseAmount(v).ok;
export const IsAmountLike = rule(
  AMOUNT_RULE,
  isAmountLike,
  (p) => `${p} must be a number or a numeric string such as "49.00" or "1,299.50"`,
);

export const isQuantityLike = (v: unknown): boolean => parseQuantity(v) !== null;
export const IsQuantityLike = rule(QUANTITY_RULE, isQuantityLike, (p) => `${p} must be a whole number ≥ 0`);

export const isStringOrNumber = (v: unknown): boolean =>
  (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v));
export const IsStringOrNumber = rule('isStringOrNumber', isStringOrNumber, (p) => `${p} must be a non-empty string or a number`);

export const isCountryCode = (v: unknown): boolean => countryCodeOf(v) !== null;
export const IsCountryCode = rule(
  'isISO31661Alpha2',
  isCountryCode,
  (p) => `${p} must be a two-letter ISO 3166-1 country code such as "US"`,
);

export const IsPlainObject = rule('isObject', (v) => isPlainObject(v), (p) => `${p} must be an object`);

/** `a, b` or `['a', 'b']`: ActiveCampaign sends a comma-separated string, JSON senders an array. */
export const isTagList = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string'));
export const IsTagList = rule('isTagList', isTagList, (p) => `${p} must be a comma-separated string or an array of strings`);

/** IsOptional's condition: a null or undefined value skips a property's other decorators. */
export function absent(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

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

/**
 * validateDto's fast path for one DTO class. `looksValid` is true when every decorator of the class
 * (and of its nested DTOs) holds for the instance, checked with the functions those decorators call
 * (class-validator's standalone ones and the tests above) but without class-validator's metadata lookup
 * and ValidationError objects. Only a yes is trusted: on a no, validateSync runs and words the reasons,
 * so the reasons are class-validator's whatever looksValid says. It must never say yes where a
 * decorator fails: keep it in step with the decorators (dto-fast-path.spec pins them and compares both
 * ways over fixtures and generated payloads).
 */
export interface DtoFastPath<T extends object> {
  looksValid(dto: T): boolean;
  /** Properties with `@Type(() => Dto)`: their objects (or an array's objects) become instances of that DTO (which has no nested DTOs of its own). */
  nested?: Readonly<Record<string, ClassConstructor<object>>>;
}

/**
 * Keys class-transformer's plainToInstance leaves out of the objects it builds: whatever the new object
 * already has as a function or non-settable property — for a plain object or a DTO without methods, the
 * members of Object.prototype (`toString`, `valueOf`, `hasOwnProperty`, …, plus `__proto__`, `constructor`).
 */
const SKIPPED_BY_TRANSFORMER: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** plainToInstance (implicit conversion off) of a JSON value with no type: a deep copy of arrays and objects. */
function transformedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(transformedCopy);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!SKIPPED_BY_TRANSFORMER.has(key)) out[key] = transformedCopy((value as Record<string, unknown>)[key]);
  }
  return out;
}

/** plainToInstance of a JSON value typed `cls` (`@Type`): objects become `cls` instances, arrays are mapped, anything else is kept. */
function transformedAs(value: unknown, cls: ClassConstructor<object>, nested?: Readonly<Record<string, ClassConstructor<object>>>): unknown {
  if (Array.isArray(value)) return value.map((v) => transformedAs(v, cls));
  if (value === null || typeof value !== 'object') return value;
  const out = new cls() as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (SKIPPED_BY_TRANSFORMER.has(key)) continue;
    const sub = (value as Record<string, unknown>)[key];
    const type = nested?.[key];
    out[key] = type === undefined ? transformedCopy(sub) : transformedAs(sub, type);
  }
  return out;
}

/**
 * Payload → DTO: plainToInstance + validateSync, every failure turned into a reason (all of them, not
 * just the first). With `fast`, an instance built as plainToInstance builds it is checked by
 * `fast.looksValid` first and validateSync runs only when that says no (a valid payload costs a fifth).
 */
export function validateDto<T extends object>(
  cls: ClassConstructor<T>,
  plain: Record<string, unknown>,
  fast?: DtoFastPath<T>,
): { dto: T; reasons: ValidationReason[] } {
  const clean = withoutForbiddenKeys(plain) as Record<string, unknown>;
  if (fast !== undefined) {
    const built = transformedAs(clean, cls, fast.nested) as T;
    if (fast.looksValid(built)) return { dto: built, reasons: [] };
  }
  const dto = plainToInstance(cls, clean, { enableImplicitConversion: false });
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
