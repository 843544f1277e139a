import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { validationMetadataArrayToSchemas } from 'class-validator-jsonschema';
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
 * Only the classes reachable from `roots` are read (an app's own DTOs may share a name with a
 * contract's; two reachable classes may not).
 *
 * class-validator's `@IsOptional()` accepts both a missing member and null: such members are
 * not required and allow null here too (the generator alone would reject the nulls producers write).
 */
export function dtoSchemas(roots: readonly DtoClass[], refPrefix: string): Record<string, JsonSchema> {
  const storage = getMetadataStorage();
  const classes = new Map<string, DtoClass>();
  const metas: ValidationMetadata[] = [];
  const queue = [...roots];
  for (let cls = queue.shift(); cls; cls = queue.shift()) {
    const known = classes.get(cls.name);
    if (known === cls) continue;
    if (known) throw new Error(`two contract classes are named ${cls.name}: rename one (schema names are class names)`);
    classes.set(cls.name, cls);
    // Decorators built on ValidateBy (IsObject, IsISO8601 …) name their rule on the constraint class, as the generator expects.
    const own = storage.getTargetValidationMetadatas(cls, '', true, false).map((m) => {
      const constraint = m.constraintCls ? storage.getTargetValidatorConstraints(m.constraintCls)[0] : undefined;
      return constraint ? { ...m, type: constraint.name } : { ...m };
    });
    if (own.length === 0) throw new Error(`no class-validator metadata for ${cls.name}: decorate its members`);
    metas.push(...own);
    for (const prop of new Set(own.map((m) => m.propertyName))) {
      const nested = defaultMetadataStorage.findTypeMetadata(cls, prop)?.typeFunction();
      if (typeof nested === 'function' && storage.getTargetValidationMetadatas(nested, '', true, false).length > 0) queue.push(nested as DtoClass);
    }
  }
  const all = validationMetadataArrayToSchemas(metas, {
    refPointerPrefix: refPrefix,
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = {};
  for (const name of classes.keys()) {
    const schema = all[name];
    if (!schema) throw new Error(`no schema generated for ${name}`);
    out[name] = withNullableOptionals(schema);
  }
  for (const ref of refsIn(out)) {
    if (ref.startsWith(refPrefix) && !out[ref.slice(refPrefix.length)]) {
      throw new Error(`${ref} is referenced but is not a decorated class: give the member @Type(() => TheClass)`);
    }
  }
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
