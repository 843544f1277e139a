import { isSchema, type JsonSchema, type JsonValue } from './json-schema';

export type BreakKind = 'topic-removed' | 'removed' | 'retyped' | 'newly-required' | 'enum-narrowed';

export interface BreakingChange {
  /** The topic (channel address) whose contract broke. */
  topic: string;
  /** Where, e.g. `payload.person.email` or `headers.ce_type`. */
  path: string;
  kind: BreakKind;
  detail: string;
}

/**
 * The compatibility rule of a topic version: between the published document and a new one,
 * for every topic that keeps its name, a message may only gain optional members, accept
 * more enum values, or relax a requirement. Breaking (needs `hookstream.<name>.v2`):
 * - a member removed (payload, headers, or a variant of a union);
 * - a member retyped: its set of JSON types changed in either direction (a newly nullable
 *   field breaks consumers as surely as a narrowed one breaks producers);
 * - a member newly required;
 * - an enum narrowed (a value dropped, or an enum imposed where any value was allowed);
 * - a topic removed without a higher version of it in the new document.
 */
export function breakingChanges(published: JsonSchema, next: JsonSchema): BreakingChange[] {
  const oldChannels = channelsByAddress(published);
  const newChannels = channelsByAddress(next);
  const out: BreakingChange[] = [];
  for (const [address, oldMsg] of oldChannels) {
    const newMsg = newChannels.get(address);
    if (!newMsg) {
      if (!hasHigherVersion(address, [...newChannels.keys()])) {
        out.push({ topic: address, path: '', kind: 'topic-removed', detail: `${address} is gone and no higher version of it is published` });
      }
      continue;
    }
    const cmp = new Comparison(published, next, address, out);
    cmp.compare(oldMsg['payload'], newMsg['payload'], 'payload');
    cmp.compare(oldMsg['headers'], newMsg['headers'], 'headers');
  }
  return out;
}

/** `hookstream.events.enriched.v1` → base `hookstream.events.enriched`, version 1 (a `.dlq` suffix is kept in the base). */
export function topicVersion(address: string): { base: string; version: number } | undefined {
  const m = /^(.*)\.v(\d+)(\.dlq)?$/.exec(address);
  return m ? { base: `${m[1]}${m[3] ?? ''}`, version: Number(m[2]) } : undefined;
}

function hasHigherVersion(address: string, addresses: string[]): boolean {
  const v = topicVersion(address);
  if (!v) return false;
  return addresses.some((a) => {
    const w = topicVersion(a);
    return w !== undefined && w.base === v.base && w.version > v.version;
  });
}

function channelsByAddress(doc: JsonSchema): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  const channels = doc['channels'];
  if (!isSchema(channels)) return out;
  for (const ch of Object.values(channels)) {
    if (!isSchema(ch) || typeof ch['address'] !== 'string' || !isSchema(ch['messages'])) continue;
    const first = Object.values(ch['messages'])[0];
    const msg = resolve(doc, first);
    if (msg) out.set(ch['address'], msg);
  }
  return out;
}

function resolve(doc: JsonSchema, v: JsonValue | undefined): JsonSchema | undefined {
  let cur = v;
  for (let hops = 0; isSchema(cur) && typeof cur['$ref'] === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref loop at ${cur['$ref']}`);
    cur = pointer(doc, cur['$ref']);
  }
  return isSchema(cur) ? cur : undefined;
}

function pointer(doc: JsonSchema, ref: string): JsonValue | undefined {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let cur: JsonValue | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isSchema(cur) ? cur[key] : undefined;
  }
  return cur;
}

type Branch = { ref?: string; schema: JsonSchema };

class Comparison {
  private readonly seen = new Set<string>();

  constructor(
    private readonly oldDoc: JsonSchema,
    private readonly newDoc: JsonSchema,
    private readonly topic: string,
    private readonly out: BreakingChange[],
  ) {}

  compare(o: JsonValue | undefined, n: JsonValue | undefined, path: string): void {
    if (o === undefined || path.split('.').length > 40) return;
    if (n === undefined) return this.report(path, 'removed', 'no longer described');
    const oldBranches = this.branches(this.oldDoc, o);
    const newBranches = this.branches(this.newDoc, n);
    const guard = `${path}|${oldBranches.map((b) => b.ref ?? '').join(',')}|${newBranches.map((b) => b.ref ?? '').join(',')}`;
    if (this.seen.has(guard)) return;
    this.seen.add(guard);

    const oldTypes = typeSet(oldBranches);
    const newTypes = typeSet(newBranches);
    if (!sameSet(oldTypes, newTypes)) {
      return this.report(path, 'retyped', `was ${[...oldTypes].sort().join('|')}, now ${[...newTypes].sort().join('|')}`);
    }
    const oldEnum = enumOf(oldBranches);
    const newEnum = enumOf(newBranches);
    if (newEnum) {
      const dropped = oldEnum ? [...oldEnum].filter((v) => !newEnum.has(v)) : undefined;
      if (!oldEnum) this.report(path, 'enum-narrowed', `now restricted to ${show(newEnum)}`);
      else if (dropped && dropped.length > 0) this.report(path, 'enum-narrowed', `no longer accepts ${dropped.map((v) => JSON.stringify(v)).join(', ')}`);
    }

    // Unions of named variants (the config topic's snapshots) compare variant by variant.
    const oldObjects = oldBranches.filter((b) => isObjectSchema(b.schema));
    const newObjects = newBranches.filter((b) => isObjectSchema(b.schema));
    if (oldObjects.length > 1 && oldObjects.every((b) => b.ref) && newObjects.every((b) => b.ref)) {
      for (const ob of oldObjects) {
        const nb = newObjects.find((b) => b.ref === ob.ref);
        if (!nb) this.report(path, 'removed', `variant ${ob.ref} is gone`);
        else this.compareObjects([ob], [nb], path);
      }
    } else if (oldObjects.length > 0) {
      this.compareObjects(oldObjects, newObjects, path);
    }

    const oldItems = oldBranches.map((b) => b.schema['items']).find((i) => i !== undefined);
    const newItems = newBranches.map((b) => b.schema['items']).find((i) => i !== undefined);
    if (oldItems !== undefined) this.compare(oldItems, newItems ?? {}, `${path}[]`);
  }

  private compareObjects(oldObjects: Branch[], newObjects: Branch[], path: string): void {
    const oldProps = mergedProperties(oldObjects);
    const newProps = mergedProperties(newObjects);
    for (const [name, schema] of oldProps) {
      const next = newProps.get(name);
      if (next === undefined) this.report(`${path}.${name}`, 'removed', 'member removed');
      else this.compare(schema, next, `${path}.${name}`);
    }
    const oldRequired = requiredOf(oldObjects);
    for (const name of requiredOf(newObjects)) {
      if (!oldRequired.has(name)) this.report(`${path}.${name}`, 'newly-required', 'was optional or absent, now required');
    }
  }

  /** The alternatives a schema accepts, with `$ref`s resolved and anyOf/oneOf flattened. */
  private branches(doc: JsonSchema, v: JsonValue, depth = 0): Branch[] {
    if (depth > 16) throw new Error('schema nesting too deep');
    if (!isSchema(v)) return [{ schema: {} }];
    if (typeof v['$ref'] === 'string') {
      const target = resolve(doc, v);
      if (!target) throw new Error(`unresolved $ref ${v['$ref']}`);
      return this.branches(doc, target, depth + 1).map((b) => ({ ...b, ref: b.ref ?? v['$ref'] as string }));
    }
    const alts = [v['anyOf'], v['oneOf']].find((a) => Array.isArray(a));
    if (Array.isArray(alts)) return alts.flatMap((a) => this.branches(doc, a, depth + 1));
    return [{ schema: v }];
  }

  private report(path: string, kind: BreakKind, detail: string): void {
    this.out.push({ topic: this.topic, path, kind, detail });
  }
}

const ALL_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

function typeSet(branches: Branch[]): Set<string> {
  const out = new Set<string>();
  for (const { schema } of branches) {
    const t = schema['type'];
    if (typeof t === 'string') out.add(t);
    else if (Array.isArray(t)) for (const x of t) out.add(String(x));
    else if (Array.isArray(schema['enum'])) for (const e of schema['enum']) out.add(jsonType(e));
    else if (schema['const'] !== undefined) out.add(jsonType(schema['const']));
    else if (schema['properties'] !== undefined) out.add('object');
    else ALL_TYPES.forEach((x) => out.add(x));
  }
  return out;
}

function jsonType(v: JsonValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** The values allowed, or undefined when some branch allows any value of its type. */
function enumOf(branches: Branch[]): Set<JsonValue> | undefined {
  const out = new Set<JsonValue>();
  for (const { schema } of branches) {
    if (Array.isArray(schema['enum'])) schema['enum'].forEach((e) => out.add(e));
    else if (schema['const'] !== undefined) out.add(schema['const']);
    else if (schema['type'] === 'null') out.add(null);
    else return undefined;
  }
  return out;
}

function isObjectSchema(s: JsonSchema): boolean {
  return s['type'] === 'object' || (Array.isArray(s['type']) && s['type'].includes('object')) || isSchema(s['properties']);
}

function mergedProperties(objects: Branch[]): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  for (const { schema } of objects) {
    const props = schema['properties'];
    if (isSchema(props)) for (const [k, v] of Object.entries(props)) if (!out.has(k)) out.set(k, v);
  }
  return out;
}

/** Members every object variant requires. */
function requiredOf(objects: Branch[]): Set<string> {
  const sets = objects.map(({ schema }) => new Set(Array.isArray(schema['required']) ? schema['required'].map(String) : []));
  const [first, ...rest] = sets;
  return new Set([...(first ?? [])].filter((k) => rest.every((s) => s.has(k))));
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function show(s: Set<JsonValue>): string {
  return [...s].map((v) => JSON.stringify(v)).join(', ');
}

export function formatBreakingChanges(changes: BreakingChange[]): string {
  return changes.map((c) => `  ${c.topic} ${c.path}: ${c.kind} (${c.detail})`).join('\n');
}
