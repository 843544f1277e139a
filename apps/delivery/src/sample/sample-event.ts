import { IdPrefix, newId, webhookExampleData } from '@hookstream/contracts';
import type { WebhookContent } from '../outbound/webhook-payload';

/**
 * "Send sample data": the published example of the chosen type (the same one control-api's
 * OpenAPI `webhooks` section and the dashboard show), with fresh ids and times, marked
 * `sample: true` so a receiver can tell it from a real event.
 */
export function sampleContent(eventType: string, accountId: string, now: Date = new Date()): WebhookContent {
  const data = { ...webhookExampleData(eventType, { accountId, eventId: newId(IdPrefix.event, now.getTime()), now }), sample: true };
  return { webhookId: newId(IdPrefix.message, now.getTime()), eventType, eventTime: now.toISOString(), data };
}
