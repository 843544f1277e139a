import type { FieldFilter, FilterExpr } from '@hookstream/contracts';

export const FILTER_OPS: readonly FieldFilter['op'][] = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains', 'exists'];
export const MAX_FILTER_DEPTH = 5;
export const MAX_FILTER_NODES = 50;

/** A compiled filter: paths split once, so the hot path does no string work per event. */
export type FilterFn = (event: object) => boolean;

export interface FilterProblem {
  /** Where in the expression: `and[1].or[0]`, or `$` for the root. */
  at: string;
  message: string;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Reads a dotted path (`products.0.price`); own properties only, so `constructor` or `__proto__` never resolve. */
export function readPath(root: unknown, segments: readonly string[]): unknown {
  let cur: unknown = root;
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else {
      if (!hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

function isoTime(v: string): number | undefined {
  if (!ISO_DATE.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Orders two scalars, or undefined when they are not comparable:
 * numbers numerically (when one side is a number, a numeric string on the other counts as a number,
 * because form-encoded payloads carry numbers as strings); two ISO-8601
 * strings by the instant they denote; other strings lexicographically by UTF-16 code unit
 * (case-sensitive); booleans only for equality.
 */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : v;
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v);
  return undefined;
}

function compare(actual: unknown, expected: unknown): number | undefined {
  if (typeof expected === 'number' || typeof actual === 'number') {
    const a = asNumber(actual);
    const e = asNumber(expected);
    if (a === undefined || e === undefined) return undefined;
    return a === e ? 0 : a < e ? -1 : 1;
  }
  if (typeof expected === 'string' && typeof actual === 'string') {
    const ta = isoTime(actual);
    const te = ta === undefined ? undefined : isoTime(expected);
    if (ta !== undefined && te !== undefined) return ta === te ? 0 : ta < te ? -1 : 1;
    return actual === expected ? 0 : actual < expected ? -1 : 1;
  }
  return undefined;
}

function equals(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'boolean' || typeof actual === 'boolean') return actual === expected;
  return compare(actual, expected) === 0;
}

function containsValue(actual: unknown, expected: unknown): boolean {
  if (typeof actual === 'string') {
    return typeof expected === 'string' && actual.toLowerCase().includes(expected.toLowerCase());
  }
  if (Array.isArray(actual)) {
    const needle = typeof expected === 'string' ? expected.toLowerCase() : expected;
    return actual.some((el) => (typeof el === 'string' && typeof needle === 'string' ? el.toLowerCase() === needle : equals(el, needle)));
  }
  return false;
}

function isMissing(v: unknown): boolean {
  return v === undefined || v === null;
}

function compileLeaf(f: FieldFilter): FilterFn {
  const segments = typeof f.path === 'string' ? f.path.split('.') : [];
  const value = f.value;
  const read = (e: object): unknown => readPath(e, segments);
  switch (f.op) {
    case 'exists': {
      const want = value !== false;
      return (e) => isMissing(read(e)) !== want;
    }
    case 'eq':
      return (e) => {
        const a = read(e);
        return !isMissing(a) && equals(a, value);
      };
    case 'ne':
      return (e) => {
        const a = read(e);
        return isMissing(a) || !equals(a, value);
      };
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const test: (c: number) => boolean =
        f.op === 'gt' ? (c) => c > 0 : f.op === 'gte' ? (c) => c >= 0 : f.op === 'lt' ? (c) => c < 0 : (c) => c <= 0;
      return (e) => {
        const a = read(e);
        if (isMissing(a)) return false;
        const c = compare(a, value);
        return c !== undefined && test(c);
      };
    }
    case 'in': {
      if (!Array.isArray(value)) return () => false;
      const options: readonly unknown[] = value;
      return (e) => {
        const a = read(e);
        if (isMissing(a)) return false;
        // An array on the event side (tags, lists) matches when any of its members is listed.
        const members: readonly unknown[] = Array.isArray(a) ? a : [a];
        return members.some((m) => options.some((o) => equals(m, o)));
      };
    }
    case 'contains':
      return (e) => {
        const a = read(e);
        return !isMissing(a) && containsValue(a, value);
      };
    default:
      // Unknown operators never match: validateFilter rejects them at save time, and a
      // snapshot from a newer control API must not deliver more than its author meant.
      return () => false;
  }
}

function isGroup(expr: FilterExpr): expr is { and: FilterExpr[] } | { or: FilterExpr[] } {
  return typeof expr === 'object' && expr !== null && ('and' in expr || 'or' in expr);
}

/** Turns an expression into a predicate; do it once per snapshot, not per event. */
export function compileFilter(expr: FilterExpr | null | undefined): FilterFn {
  if (expr === null || expr === undefined) return () => true;
  if (isGroup(expr)) {
    if ('and' in expr) {
      const parts = (Array.isArray(expr.and) ? expr.and : []).map(compileFilter);
      return (e) => parts.every((p) => p(e));
    }
    const parts = (Array.isArray(expr.or) ? expr.or : []).map(compileFilter);
    return (e) => parts.some((p) => p(e));
  }
  return compileLeaf(expr);
}

/**
 * Evaluates a filter against a canonical event (or any plain object). `and` of nothing is true,
 * `or` of nothing is false. A path that resolves to undefined or null is "missing": every operator
 * is then false except `ne` and `exists: false`, which are true.
 */
export function evaluateFilter(expr: FilterExpr | null | undefined, event: object): boolean {
  return compileFilter(expr)(event);
}

/** Problems that make an expression unfit to save; an empty list means it is valid. */
export function validateFilter(expr: unknown): FilterProblem[] {
  const problems: FilterProblem[] = [];
  let nodes = 0;
  let deepest = 0;
  const walk = (node: unknown, at: string, depth: number): void => {
    nodes++;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_FILTER_DEPTH + 1) return; // already reported; don't descend a hostile tree
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      problems.push({ at, message: 'expected an object: {path, op, value} or {and: [...]} or {or: [...]}' });
      return;
    }
    const rec = node as Record<string, unknown>;
    const groupKeys = ['and', 'or'].filter((k) => k in rec);
    if (groupKeys.length > 0) {
      if (groupKeys.length > 1 || 'path' in rec || 'op' in rec) {
        problems.push({ at, message: 'a node is either a group ({and} or {or}) or a field filter, not both' });
        return;
      }
      const key = groupKeys[0];
      const children = rec[key];
      if (!Array.isArray(children)) {
        problems.push({ at, message: `"${key}" must be an array` });
        return;
      }
      if (children.length === 0) problems.push({ at, message: `"${key}" is empty` });
      children.forEach((c, i) => walk(c, `${at === '$' ? '' : `${at}.`}${key}[${i}]`, depth + 1));
      return;
    }
    const { path, op, value } = rec;
    if (typeof path !== 'string' || path.length === 0) problems.push({ at, message: 'path must be a non-empty string' });
    else if (path.split('.').some((s) => s.length === 0)) problems.push({ at, message: `path "${path}" has an empty segment` });
    if (typeof op !== 'string' || !(FILTER_OPS as readonly string[]).includes(op)) {
      problems.push({ at, message: `unknown op ${JSON.stringify(op)}; expected one of ${FILTER_OPS.join(', ')}` });
      return;
    }
    if (op === 'in' && !Array.isArray(value)) problems.push({ at, message: '"in" needs an array value' });
    if (op === 'exists' && value !== undefined && typeof value !== 'boolean') {
      problems.push({ at, message: '"exists" needs value true or false' });
    }
    if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number' && typeof value !== 'string') {
      problems.push({ at, message: `"${op}" needs a number, date or string value` });
    }
    if ((op === 'eq' || op === 'ne') && value !== null && typeof value === 'object') {
      problems.push({ at, message: `"${op}" needs a scalar value` });
    }
    if (op === 'contains' && (value === undefined || value === null || typeof value === 'object')) {
      problems.push({ at, message: '"contains" needs a scalar value' });
    }
  };
  walk(expr, '$', 1);
  if (deepest > MAX_FILTER_DEPTH) problems.push({ at: '$', message: `nested deeper than ${MAX_FILTER_DEPTH} levels` });
  if (nodes > MAX_FILTER_NODES) problems.push({ at: '$', message: `more than ${MAX_FILTER_NODES} nodes (${nodes})` });
  return problems;
}
