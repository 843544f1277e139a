import { parse } from 'qs';

/** A parsed form body: strings, arrays and nested objects, as bracket keys describe them. */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export interface FormBodyOptions {
  /** Bracket nesting honoured; deeper brackets stay part of the last key as literal text. */
  depth?: number;
  /** More parameters than this is an error, not a silent truncation. */
  parameterLimit?: number;
  /** Highest array index (and most `[]` items) read as an array. */
  arrayLimit?: number;
}

export class FormBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormBodyError';
  }
}

/** Keys that could reach a prototype if a consumer ever merged the result into a plain object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function toSafe(value: unknown): FormValue | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const out: FormValue[] = [];
    for (const item of value) {
      const safe = toSafe(item);
      if (safe !== undefined) out.push(safe);
    }
    return out;
  }
  if (value !== null && typeof value === 'object') {
    // A fresh plain object, filled only with own, non-forbidden keys.
    const out: FormObject = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      const safe = toSafe((value as Record<string, unknown>)[key]);
      if (safe !== undefined) out[key] = safe;
    }
    return out;
  }
  return undefined;
}

/**
 * `application/x-www-form-urlencoded` → nested object (`contact[fields][x]=1` →
 * `{ contact: { fields: { x: '1' } } }`, `+` as space, repeated keys as arrays).
 * Safe by construction: qs parses into null-prototype objects with prototypes disallowed, then the
 * result is copied into plain objects without `__proto__`, `constructor` or `prototype` keys.
 * Throws FormBodyError when the parameter or array limit is exceeded (the gateway answers 400/413).
 */
export function parseFormBody(text: string, options: FormBodyOptions = {}): FormObject {
  let parsed: unknown;
  try {
    parsed = parse(text, {
      allowPrototypes: false,
      plainObjects: true,
      depth: options.depth ?? 5,
      parameterLimit: options.parameterLimit ?? 1000,
      arrayLimit: options.arrayLimit ?? 100,
      throwOnLimitExceeded: true,
      allowDots: false,
      comma: false,
      ignoreQueryPrefix: true,
      charset: 'utf-8',
    });
  } catch (err) {
    if (err instanceof RangeError) throw new FormBodyError(err.message);
    throw err;
  }
  const safe = toSafe(parsed);
  return safe !== undefined && typeof safe === 'object' && !Array.isArray(safe) ? safe : {};
}
