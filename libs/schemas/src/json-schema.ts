import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { DtoClass } from '@hookstream/contracts';

// class-transformer ships its metadata storage only under cjs/ (types apart); it tells the
// generator what `@Type(() => ProductDto)` points at, which reflection alone cannot (`ProductDto | null` is Object).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as typeof import('class-transformer/types/storage');

/** A JSON Schema (draft-07, which AsyncAPI 3 and OpenAPI 3.1 both read) as plain data. */
export type JsonSchema = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export function isSchema(v: JsonValue | undefined): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * JSON Schemas of the given DTO classes and every class they reference, keyed by class name,
 * with `$ref`s to `<refPrefix><ClassName>`. Generated from the class-validator decorators, so
 * the published contract and the runtime validation are the same rules.
 *
 * class-validator's `@IsOptional()` accepts both a missing member and null: such members are
 * not required and allow null here too (the generator alone would reject the nulls producers write).
 */
export function dtoSchemas(roots: readonly DtoClass[], refPrefix: string): Record<string, JsonSchema> {
  const all = validationMetadatasToSchemas({ refPointerPrefix: refPrefix, classTransformerMetadataStorage: defaultMetadataStorage }) as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = {};
  const visit = (name: string): void => {
    if (out[name]) return;
    const schema = all[name];
    if (!schema) throw new Error(`no class-validator metadata for ${name}: decorate its members or add it to the contracts`);
    out[name] = withNullableOptionals(schema);
    for (const ref of refsIn(schema)) if (ref.startsWith(refPrefix)) visit(ref.slice(refPrefix.length));
  };
  for (const cls of roots) visit(cls.name);
  return sortKeys(out);
}

function withNullableOptionals(schema: JsonSchema): JsonSchema {
  const props = schema['properties'];
  if (!isSchema(props)) return schema;
  const required = new Set(Array.isArray(schema['required']) ? schema['required'] : []);
  const properties: JsonSchema = {};
  for (const [name, p] of Object.entries(props)) {
    properties[name] = required.has(name) || !isSchema(p) ? p : nullable(p);
  }
  return { ...schema, properties, additionalProperties: true };
}

export function nullable(p: JsonSchema): JsonSchema {
  const t = p['type'];
  if (typeof t === 'string' && !('$ref' in p) && !('oneOf' in p) && !('anyOf' in p)) {
    const out: JsonSchema = { ...p, type: [t, 'null'] };
    if (Array.isArray(p['enum'])) out['enum'] = [...p['enum'], null];
    return out;
  }
  if (Object.keys(p).length === 0) return p;
  return { anyOf: [p, { type: 'null' }] };
}

export function refsIn(v: JsonValue): string[] {
  if (Array.isArray(v)) return v.flatMap(refsIn);
  if (!isSchema(v)) return [];
  const own = typeof v['$ref'] === 'string' ? [v['$ref']] : [];
  return [...own, ...Object.values(v).flatMap(refsIn)];
}

/** Stable key order, so the committed document diffs cleanly. */
export function sortKeys<T extends JsonValue | Record<string, JsonValue>>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => sortKeys(x)) as T;
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = sortKeys(x as JsonValue);
  return out as T;
}
