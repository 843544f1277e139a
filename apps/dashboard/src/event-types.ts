import { api } from './api';

/** One outbound webhook event type as control-api publishes it (GET /v1/event-types, the OpenAPI `webhooks` section). */
export interface EventTypeDoc {
  type: string;
  description: string;
  schema: unknown;
  example: { type: string; timestamp: string; data: Record<string, unknown> };
}

let cached: Promise<EventTypeDoc[]> | undefined;

/** Loaded once per page: the catalog only changes with a deployment. */
export function loadEventTypes(): Promise<EventTypeDoc[]> {
  cached ??= api<{ data: EventTypeDoc[] }>('GET', '/v1/event-types').then((r) => r.data);
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/** Adds a type to a comma-separated list of types, unless it (or `*`) is already there. */
export function withType(list: string, type: string): string {
  const parts = list.split(/[\s,]+/).filter(Boolean).filter((t) => t !== '*');
  if (parts.includes(type)) return parts.join(', ');
  return [...parts, type].join(', ');
}
