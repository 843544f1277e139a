/**
 * Event-type patterns, as endpoints and automation triggers declare them:
 * - `*`            every type;
 * - `contact.*`    every type that starts with `contact.` and has something after it
 *                  (`contact.tag_added`, `contact.deal.x`), not `contact` nor `contactx`;
 * - anything else  exactly that type. A `*` elsewhere is not a wildcard (see validateEventTypePattern).
 */
export const ALL_TYPES = '*';

/** The prefix a wildcard pattern stands for (`contact.*` → `contact.`, `*` → ``), or undefined for an exact pattern. */
export function wildcardPrefix(pattern: string): string | undefined {
  if (pattern === ALL_TYPES) return '';
  if (pattern.length > 2 && pattern.endsWith('.*')) return pattern.slice(0, -1);
  return undefined;
}

export function matchesEventType(patterns: readonly string[], type: string): boolean {
  for (const p of patterns) {
    const prefix = wildcardPrefix(p);
    if (prefix === undefined ? p === type : type.length > prefix.length && type.startsWith(prefix)) return true;
  }
  return false;
}

/** A problem with one pattern, for the control API to show at save time; undefined when the pattern is fine. */
export function validateEventTypePattern(pattern: string): string | undefined {
  if (pattern.length === 0) return 'event type pattern is empty';
  if (pattern.length > 100) return 'event type pattern is longer than 100 characters';
  if (pattern === ALL_TYPES) return undefined;
  const star = pattern.indexOf('*');
  if (star === -1) return undefined;
  if (star === pattern.length - 1 && pattern.endsWith('.*') && pattern.length > 2 && !pattern.slice(0, -2).includes('*')) {
    return undefined;
  }
  return `"${pattern}": a wildcard is only allowed as "*" or as a trailing ".*" (e.g. "contact.*")`;
}

/**
 * The wildcard prefixes a type could be matched by: `''` (for `*`) and one per dot
 * (`a.b.c` → `a.`, `a.b.`). Looking these up in a map costs O(segments), whatever the
 * number of wildcard patterns configured.
 */
export function candidatePrefixes(type: string): string[] {
  const out = [''];
  for (let i = type.indexOf('.'); i !== -1 && i < type.length - 1; i = type.indexOf('.', i + 1)) {
    out.push(type.slice(0, i + 1));
  }
  return out;
}

/**
 * Maps event types to the items subscribed to them: one bucket per exact type and one per
 * wildcard prefix. Matching touches only the buckets a type can hit, so its cost grows with
 * the items that could match, not with all items.
 */
export class EventTypeIndex<T> {
  private readonly exact = new Map<string, Set<T>>();
  private readonly prefixed = new Map<string, Set<T>>();
  private readonly patternsOf = new Map<T, readonly string[]>();

  get size(): number {
    return this.patternsOf.size;
  }

  add(item: T, patterns: readonly string[]): void {
    this.remove(item);
    const unique = [...new Set(patterns)];
    this.patternsOf.set(item, unique);
    for (const p of unique) {
      const prefix = wildcardPrefix(p);
      const [map, key] = prefix === undefined ? [this.exact, p] : [this.prefixed, prefix];
      let bucket = map.get(key);
      if (!bucket) map.set(key, (bucket = new Set()));
      bucket.add(item);
    }
  }

  remove(item: T): boolean {
    const patterns = this.patternsOf.get(item);
    if (!patterns) return false;
    this.patternsOf.delete(item);
    for (const p of patterns) {
      const prefix = wildcardPrefix(p);
      const [map, key] = prefix === undefined ? [this.exact, p] : [this.prefixed, prefix];
      const bucket = map.get(key);
      bucket?.delete(item);
      if (bucket?.size === 0) map.delete(key);
    }
    return true;
  }

  /** Every item whose patterns match `type`, each once, in no particular order. */
  match(type: string): T[] {
    const buckets: Set<T>[] = [];
    const exact = this.exact.get(type);
    if (exact) buckets.push(exact);
    if (this.prefixed.size > 0) {
      for (const prefix of candidatePrefixes(type)) {
        const bucket = this.prefixed.get(prefix);
        if (bucket) buckets.push(bucket);
      }
    }
    if (buckets.length === 0) return [];
    if (buckets.length === 1) return [...buckets[0]];
    // An item listing both `contact.*` and `contact.tag_added` sits in two buckets; report it once.
    const seen = new Set<T>();
    for (const b of buckets) for (const item of b) seen.add(item);
    return [...seen];
  }
}
