import { IdPrefix, newId } from '@hookstream/contracts';
import type { WebhookContent } from '../outbound/webhook-payload';

/**
 * "Send sample data": a realistic event of the chosen type, shaped like the canonical events
 * real deliveries carry, so the receiver can be built against it.
 */
export function sampleContent(eventType: string, accountId: string, now: Date = new Date()): WebhookContent {
  const eventTime = now.toISOString();
  const contact = eventType.startsWith('contact.') || eventType.startsWith('deal.');
  const data: Record<string, unknown> = {
    id: newId(IdPrefix.event, now.getTime()),
    accountId,
    sourceId: 'src_sample',
    type: eventType,
    occurredAt: eventTime,
    receivedAt: eventTime,
    initiatedFrom: 'admin',
    person: { email: 'sarah.sample@example.com', firstName: 'Sarah', lastName: 'Sample', ip: null, nameSource: 'payload' },
    location: { city: 'London', state: null, stateCode: null, country: 'United Kingdom', countryCode: 'GB', source: 'payload' },
    product: contact ? null : { id: 'sku_123', name: 'Running Shoes', link: 'https://shop.example.com/p/running-shoes', image: null, price: 49, quantity: 1 },
    products: [],
    amount: contact ? null : 49,
    currency: contact ? null : 'GBP',
    attributes: contact
      ? { contactId: '1', tags: ['sample', 'vip'], list: '1', fields: { company: 'Example Ltd' }, ...(eventType.startsWith('deal.') ? { deal: { id: '1', title: 'Sample deal', value: '4900', currency: 'gbp' } } : {}) }
      : {},
    dialect: 'generic',
    sample: true,
  };
  return { webhookId: newId(IdPrefix.message, now.getTime()), eventType, eventTime, data };
}
