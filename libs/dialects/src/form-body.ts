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

/**
 * Marks a numeric bracket segment (`[100]`) of a decoded key, so qs keeps it as an object key
 * instead of an array index (qs would compact `fields[5]` and `fields[100]` into a two-item array,
 * or refuse an index over its array limit). `toSafe` then decides what the sender meant.
 */
const INDEX_MARK = '\uE000';
const MARKED_INDEX = /^\uE000(\d+)$/;
const NUMERIC_SEGMENT = /\[(\d+)\]/g;

function markIndexes(key: string): string {
  return key.includes('[') ? key.replace(NUMERIC_SEGMENT, `[${INDEX_MARK}$1]`) : key;
}

/**
 * Numeric keys exactly `0 … n-1` (n within the array limit) are a list (`items[0][name]`,
 * `items[1][name]`); any other numeric key is an object key (`contact[fields][100]`, ids that
 * start at 1, sparse ids), as are numeric keys mixed with named ones.
 */
function listOrObject(keys: string[], arrayLimit: number): { list: boolean; plainKeys: string[] } {
  const plainKeys = keys.map((k) => (k.includes(INDEX_MARK) ? k.split(INDEX_MARK).join('') : k));
  if (keys.length === 0 || keys.length > arrayLimit) return { list: false, plainKeys };
  const seen = new Array<boolean>(keys.length).fill(false);
  for (const k of keys) {
    const m = MARKED_INDEX.exec(k);
    if (m === null || (m[1].length > 1 && m[1].startsWith('0'))) return { list: false, plainKeys };
    const i = Number(m[1]);
    if (i >= keys.length || seen[i]) return { list: false, plainKeys };
    seen[i] = true;
  }
  return { list: true, plainKeys };
}

function toSafe(value: unknown, arrayLimit: number): FormValue | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const out: FormValue[] = [];
    for (const item of value) {
      const safe = toSafe(item, arrayLimit);
      if (safe !== undefined) out.push(safe);
    }
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    const { list, plainKeys } = listOrObject(keys, arrayLimit);
    if (list) {
      const out: FormValue[] = [];
      keys.forEach((k, n) => {
        const safe = toSafe((value as Record<string, unknown>)[k], arrayLimit);
        if (safe !== undefined) out[Number(plainKeys[n])] = safe;
      });
      // An index whose value was dropped leaves no hole.
      return out.filter((v) => v !== undefined);
    }
    // A fresh plain object, filled only with own, non-forbidden keys.
    const out: FormObject = {};
    keys.forEach((k, n) => {
      const key = plainKeys[n];
      if (FORBIDDEN_KEYS.has(key)) return;
      const safe = toSafe((value as Record<string, unknown>)[k], arrayLimit);
      if (safe !== undefined) out[key] = safe;
    });
    return out;
  }
  return undefined;
}

/**
 * `application/x-www-form-urlencoded` → nested object (`contact[fields][x]=1` →
 * `{ contact: { fields: { x: '1' } } }`, `+` as space, repeated keys as arrays).
 * Numeric brackets are object keys (`contact[fields][100]=x` → `{ fields: { '100': 'x' } }`) unless
 * the indexes are exactly `0 … n-1`, which is a list; `[]` and repeated keys are lists.
 * Safe by construction: qs parses into null-prototype objects with prototypes disallowed, then the
 * result is copied into plain objects without `__proto__`, `constructor` or `prototype` keys.
 * Throws FormBodyError when the parameter limit or the `[]`/repeat limit is exceeded (the gateway
 * answers 400).
 */
export function parseFormBody(text: string, options: FormBodyOptions = {}): FormObject {
  let parsed: unknown;
  const arrayLimit = options.arrayLimit ?? 100;
  try {
    parsed = parse(text, {
      allowPrototypes: false,
      plainObjects: true,
      depth: options.depth ?? 5,
      parameterLimit: options.parameterLimit ?? 1000,
      arrayLimit,
      throwOnLimitExceeded: true,
      allowDots: false,
      comma: false,
      ignoreQueryPrefix: true,
      charset: 'utf-8',
      decoder: (str, decode, charset, type) => {
        const decoded: unknown = decode(str, decode, charset);
        return type === 'key' && typeof decoded === 'string' ? markIndexes(decoded) : decoded;
      },
    });
  } catch (err) {
    if (err instanceof RangeError) throw new FormBodyError(err.message);
    throw err;
  }
  const safe = toSafe(parsed, arrayLimit);
  return safe !== undefined && typeof safe === 'object' && !Array.isArray(safe) ? safe : {};
}
