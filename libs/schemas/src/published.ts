import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonSchema } from './json-schema';

/** The committed AsyncAPI document: the published contract CI compares every change against. */
export const PUBLISHED_ASYNCAPI_PATH = join('libs', 'schemas', 'published', 'asyncapi.json');

export const REGENERATE_COMMAND = 'npm run contracts:generate';

export function serialise(doc: JsonSchema): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function readPublished(root: string): JsonSchema | undefined {
  try {
    return JSON.parse(readFileSync(join(root, PUBLISHED_ASYNCAPI_PATH), 'utf8')) as JsonSchema;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
