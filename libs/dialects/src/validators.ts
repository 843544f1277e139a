import { plainToInstance, TransformationType, type ClassConstructor } from 'class-transformer';
import { getMetadataStorage, registerDecorator, validateSync, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { dtoCheck, type ValidationReason } from '@hookstream/contracts';
import { parseAmount, parseQuantity, QUANTITY_RULE, AMOUNT_RULE } from './amount';
import { CURRENCY_RULE, normaliseCurrency } from './currency';
import { isEmail } from './email-search';
import { FORBIDDEN_KEYS } from './form-body';
import { countryCodeOf } from './location';
import { validationErrorsToReasons } from './reasons';
import { isUtcIso8601, parseTimestamp, TIMESTAMP_HINT, TIMESTAMP_RULE, UTC_ISO_HINT, UTC_ISO_RULE } from './timestamps';

// class-transformer ships its metadata storage only under cjs/ (types apart); it says what `@Type(() => Dto)` points at.
const { defaultMetadataStorage: transformer } = require('class-transformer/cjs/storage') as typeof import('class-transformer/types/storage');

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


const isTimestampLike = (v: unknown): boolean => parseTimestamp(v).ok;
export const IsTimestampLike = rule(TIMESTAMP_RULE, isTimestampLike, (p) => `${p} must be ${TIMESTAMP_HINT}`);

/** ActiveCampaign-style `date_time`: like IsTimestampLike, but a missing offset is read as UTC. */
const isDateTimeLike = (v: unknown): boolean => parseTimestamp(v, { naiveAsUtc: true }).ok;
export const IsDateTimeLike = rule(
  TIMESTAMP_RULE,
  isDateTimeLike,
  (p) => `${p} must be a date-time such as 2013-01-01 12:00:00 -05:00 or 2026-03-01T10:00:00-05:00`,
);

export const IsEmailAddress = rule('isEmail', isEmail, (p) => `${p} must be an email address`);

const isCurrencyLike = (v: unknown): boolean => normaliseCurrency(v).ok;
export const IsCurrencyLike = rule(
  CURRENCY_RULE,
  isCurrencyLike,
  (p) => `${p} must be an ISO 4217 currency code such as "USD" (or an unambiguous symbol such as €)`,
);

const isAmountLike = (v: unknown): boolean => parseAmount(v).ok;
export const IsAmountLike = rule(
  AMOUNT_RULE,
  isAmountLike,
  (p) => `${p} must be a number or a numeric string such as "49.00" or "1,299.50"`,
);

const isQuantityLike = (v: unknown): boolean => parseQuantity(v) !== null;
export const IsQuantityLike = rule(QUANTITY_RULE, isQuantityLike, (p) => `${p} must be a whole number ≥ 0`);

const isStringOrNumber = (v: unknown): boolean =>
  (typeof v === 'string' && v.trim() !== '') || (typeof v === 'number' && Number.isFinite(v));
export const IsStringOrNumber = rule('isStringOrNumber', isStringOrNumber, (p) => `${p} must be a non-empty string or a number`);

const isCountryCode = (v: unknown): boolean => countryCodeOf(v) !== null;
export const IsCountryCode = rule(
  'isISO31661Alpha2',
  isCountryCode,
  (p) => `${p} must be a two-letter ISO 3166-1 country code such as "US"`,
);

export const IsPlainObject = rule('isObject', (v) => isPlainObject(v), (p) => `${p} must be an object`);

/** `a, b` or `['a', 'b']`: ActiveCampaign sends a comma-separated string, JSON senders an array. */
const isTagList = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((t) => typeof t === 'string'));
export const IsTagList = rule('isTagList', isTagList, (p) => `${p} must be a comma-separated string or an array of strings`);

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

/**
 * How plainToInstance builds an instance of a DTO class: the `@Type(() => Dto)` class of each
 * decorated property (class-transformer's own metadata), or null when the class uses more of
 * class-transformer than `@Type` (Expose, Exclude, Transform), which the copy below does not model.
 */
const builds = new WeakMap<ClassConstructor<object>, ReadonlyMap<string, ClassConstructor<object>> | null>();

function buildOf(cls: ClassConstructor<object>): ReadonlyMap<string, ClassConstructor<object>> | null {
  if (builds.has(cls)) return builds.get(cls) ?? null;
  const properties = new Set(getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false).map((m) => m.propertyName));
  let build: Map<string, ClassConstructor<object>> | null = new Map();
  // Registered before the members are read, so a class whose `@Type` leads back to itself finds its own build (filled below).
  builds.set(cls, build);
  if (transformer.getStrategy(cls) !== 'none' || transformer.getExposedMetadatas(cls).length > 0 || transformer.getExcludedMetadatas(cls).length > 0) build = null;
  for (const key of properties) {
    if (build === null) break;
    if (transformer.findTransformMetadatas(cls, key, TransformationType.PLAIN_TO_CLASS).length > 0) build = null;
    const type = transformer.findTypeMetadata(cls, key)?.typeFunction();
    if (build !== null && typeof type === 'function' && type !== Object) {
      if (buildOf(type as ClassConstructor<object>) === null) build = null;
      else build.set(key, type as ClassConstructor<object>);
    }
  }
  builds.set(cls, build);
  return build;
}

/** plainToInstance of a JSON value typed `cls` (`@Type`) whose build is known: objects become `cls` instances, arrays are mapped, anything else is kept. */
function transformedAs(value: unknown, cls: ClassConstructor<object>, build: ReadonlyMap<string, ClassConstructor<object>>): unknown {
  if (Array.isArray(value)) return value.map((v) => transformedAs(v, cls, build));
  if (value === null || typeof value !== 'object') return value;
  const out = new cls() as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (SKIPPED_BY_TRANSFORMER.has(key)) continue;
    const sub = (value as Record<string, unknown>)[key];
    const type = build.get(key);
    out[key] = type === undefined ? transformedCopy(sub) : transformedAs(sub, type, buildOf(type) as ReadonlyMap<string, ClassConstructor<object>>);
  }
  return out;
}

/**
 * Payload → DTO: plainToInstance + validateSync, every failure turned into a reason (all of them, not
 * just the first). The fast path (the default) builds the instance as plainToInstance builds it and
 * runs the DTO's decorators as one standalone check (`dtoCheck`); validateSync runs only when that
 * says no, to word the reasons, so a valid payload costs a fifth and the reasons are class-validator's.
 * `fastPath: false` is validateSync alone (for benches and tests comparing the two).
 */
/** The instance validateDto's fast path builds (undefined when the class needs plainToInstance itself); for tests. */
export function builtLikePlainToInstance<T extends object>(cls: ClassConstructor<T>, plain: Record<string, unknown>): T | undefined {
  const build = buildOf(cls);
  return build === null ? undefined : (transformedAs(withoutForbiddenKeys(plain), cls, build) as T);
}

export function validateDto<T extends object>(
  cls: ClassConstructor<T>,
  plain: Record<string, unknown>,
  fastPath = true,
): { dto: T; reasons: ValidationReason[] } {
  const clean = withoutForbiddenKeys(plain) as Record<string, unknown>;
  const build = fastPath ? buildOf(cls) : null;
  if (build !== null) {
    const built = transformedAs(clean, cls, build) as T;
    if (dtoCheck(cls)(built)) return { dto: built, reasons: [] };
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
