import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiWebhooks } from '@hookstream/schemas';

/**
 * Adds the outbound webhooks (one entry per event type, schema + example) to the document
 * @nestjs/swagger generated, and declares OpenAPI 3.1, the first version with `webhooks`.
 * The generated operations use nothing 3.1 dropped except `nullable`, which 3.1 readers ignore.
 */
export function withWebhooks(doc: OpenAPIObject): OpenAPIObject {
  const { webhooks, schemas } = openApiWebhooks();
  const existing = doc.components?.schemas ?? {};
  const clash = Object.keys(schemas).filter((name) => name in existing);
  if (clash.length > 0) throw new Error(`OpenAPI component names used twice: ${clash.join(', ')}`);
  return {
    ...doc,
    openapi: '3.1.0',
    webhooks: webhooks as unknown as OpenAPIObject['webhooks'],
    components: { ...doc.components, schemas: { ...existing, ...(schemas as unknown as Record<string, object>) } },
  };
}
