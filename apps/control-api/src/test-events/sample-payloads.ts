import type { SourceDialect } from '@hookstream/contracts';

export const TEST_EVENT_USER_AGENT = 'hookstream-dashboard-test';
export const TEST_EVENT_EMAIL = 'sarah.test@example.com';

/**
 * Each test event gets its own address (a `+tag` the name lookup ignores): with a fixed one, a
 * second click within the dedupe window (Activly: same email within 1 h) would be a duplicate.
 */
export function testEventEmail(now: Date): string {
  return TEST_EVENT_EMAIL.replace('@', `+${now.getTime().toString(36)}@`);
}

export interface SamplePayload {
  contentType: string;
  body: Record<string, unknown>;
}

function isoSeconds(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A realistic request in the source's dialect, as the sender would post it (a form body already
 * parsed into the nested object the gateway makes of bracket keys). `auto` gets Activly's example,
 * the one the seed documents show.
 */
export function samplePayload(dialect: SourceDialect, now: Date): SamplePayload {
  const email = testEventEmail(now);
  switch (dialect) {
    case 'provesource':
      return {
        contentType: 'application/json',
        body: {
          email: email, firstName: 'Sarah', lastName: 'Test', city: 'London', country: 'United Kingdom', countryCode: 'GB',
          productName: 'Running Shoes', total: 49, currency: 'GBP', timestamp: now.getTime(),
        },
      };
    case 'activecampaign':
      return {
        contentType: 'application/x-www-form-urlencoded',
        body: {
          type: 'subscribe', date_time: isoSeconds(now), initiated_from: 'admin', initiated_by: 'admin', list: '1',
          contact: { id: '1', email: email, first_name: 'Sarah', last_name: 'Test', tags: 'test' },
        },
      };
    case 'generic':
      return {
        contentType: 'application/json',
        body: { type: 'purchase', email: email, first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', amount: 49, currency: 'GBP', timestamp: isoSeconds(now) },
      };
    case 'activly':
    case 'auto':
    default:
      return {
        contentType: 'application/json',
        body: { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', amount: 49, currency: 'GBP', email: email, timestamp: isoSeconds(now) },
      };
  }
}
