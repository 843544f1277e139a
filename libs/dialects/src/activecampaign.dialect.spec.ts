import { activecampaignDialect, canonicalActiveCampaignType, splitTags } from './activecampaign.dialect';
import { AC_EVENTS, AC_FIELDS, acFormBody } from './activecampaign.samples';
import { detectDialect } from './detect';
import { parseFormBody } from './form-body';
import { rawEvent } from './raw-event.fixture';

const FORM = 'application/x-www-form-urlencoded';

// The fields ActiveCampaign posts (seeds 001/003 "How webhook data is received"; DESIGN.md
// "Inbound dialects"), as an ActiveCampaign-style form body sent into us.
const SUBSCRIBE =
  'type=subscribe&date_time=2013-01-01+12%3A00%3A00+-05%3A00&initiated_from=admin&initiated_by=admin&list=1' +
  '&contact%5Bid%5D=42&contact%5Bemail%5D=Test%40Example.com&contact%5Bfirst_name%5D=Test&contact%5Blast_name%5D=Contact' +
  '&contact%5Bphone%5D=&contact%5Bip%5D=127.0.0.1&contact%5Btags%5D=vip%2C+newsletter%2C&contact%5Borgname%5D=Acme' +
  '&contact%5Bfields%5D%5Bperstag%5D=value&contact%5Bfields%5D%5B12%5D=blue';

function accept(body: unknown, contentType = FORM) {
  const result = activecampaignDialect.normalise(rawEvent(body, { contentType, dialect: 'activecampaign', initiatedFrom: 'api' }));
  if (!result.ok) throw new Error(JSON.stringify(result.reasons));
  return result.event;
}

describe('activecampaignDialect.normalise', () => {
  it('maps a subscribe form post', () => {
    const event = accept(parseFormBody(SUBSCRIBE));
    expect(event.type).toBe('contact.subscribed');
    expect(event.occurredAt).toBe('2013-01-01T17:00:00.000Z');
    expect(event.initiatedFrom).toBe('admin');
    expect(event.person).toEqual({ email: 'test@example.com', firstName: 'Test', lastName: 'Contact', ip: '127.0.0.1', nameSource: 'payload' });
    expect(event.location).toEqual({ city: null, state: null, stateCode: null, country: null, countryCode: null, source: null });
    expect(event.product).toBeNull();
    expect(event.attributes).toEqual({
      activecampaignType: 'subscribe',
      initiatedBy: 'admin',
      list: '1',
      contactId: '42',
      tags: ['vip', 'newsletter'],
      fields: { perstag: 'value', '12': 'blue' },
      contact: { orgname: 'Acme' },
    });
    expect(event.dialect).toBe('activecampaign');
  });

  it('maps every documented type, and keeps unknown ones under activecampaign.<type>', () => {
    const expected: Record<string, string> = {
      subscribe: 'contact.subscribed',
      update: 'contact.updated',
      unsubscribe: 'contact.unsubscribed',
      contact_tag_added: 'contact.tag_added',
      contact_tag_removed: 'contact.tag_removed',
      deal_add: 'deal.added',
      deal_update: 'deal.updated',
      contact_note: 'contact.note_added',
      sent: 'activecampaign.sent',
      open: 'activecampaign.open',
      click: 'activecampaign.click',
      Bounce: 'activecampaign.bounce',
    };
    for (const [type, canonical] of Object.entries(expected)) {
      expect(canonicalActiveCampaignType(type)).toBe(canonical);
      expect(accept({ type, contact: { email: 'a@example.com' } }).type).toBe(canonical);
    }
  });

  it('reads the ISO form of date_time', () => {
    expect(accept({ type: 'update', date_time: '2026-03-01T10:00:00-05:00' }).occurredAt).toBe('2026-03-01T15:00:00.000Z');
  });

  it('reads a date_time without offset as UTC and says so', () => {
    const event = accept({ type: 'update', date_time: '2013-01-01 12:00:00' });
    expect(event.occurredAt).toBe('2013-01-01T12:00:00.000Z');
    expect(event.attributes['dateTimeAssumedUtc']).toBe(true);
  });

  it('keeps the raw initiatedFrom and received time when the payload has none', () => {
    const event = accept({ type: 'update' });
    expect(event.initiatedFrom).toBe('api');
    expect(event.occurredAt).toBe('2026-02-28T14:30:00.120Z');
  });

  it('maps a deal to attributes.deal, with value and currency as amount', () => {
    const body = parseFormBody(
      'type=deal_add&date_time=2026-03-01T10:00:00-05:00&initiated_from=public&deal[id]=7&deal[title]=Big+deal&deal[value]=1%2C000.00&deal[currency]=usd&contact[email]=a%40example.com',
    );
    const event = accept(body);
    expect(event.type).toBe('deal.added');
    expect(event.initiatedFrom).toBe('public');
    expect(event.attributes['deal']).toEqual({ id: '7', title: 'Big deal', value: '1,000.00', currency: 'usd' });
    expect(event.amount).toBe(1000);
    expect(event.currency).toBe('USD');
  });

  it('accepts tags as an array from a JSON sender, and keeps unknown top-level fields', () => {
    const event = accept({ type: 'contact_tag_added', tag: 'vip', contact: { email: 'a@example.com', tags: ['vip', ' gold '] } }, 'application/json');
    expect(event.attributes['tags']).toEqual(['vip', 'gold']);
    expect(event.attributes['tag']).toBe('vip');
  });

  it('collects every problem with nested contact paths', () => {
    const result = activecampaignDialect.normalise(
      rawEvent(
        parseFormBody('date_time=tomorrow&initiated_from=robot&contact[email]=nobody&contact[ip]=localhost&contact[fields]=x'),
        { contentType: FORM },
      ),
    );
    if (result.ok) throw new Error('expected rejection');
    expect(result.reasons.map((r) => `${r.path}:${r.rule}`)).toEqual([
      'type:required',
      'date_time:isTimestamp',
      'initiated_from:isIn',
      'contact.email:isEmail',
      'contact.ip:isIp',
      'contact.fields:isObject',
    ]);
    expect(result.reasons.find((r) => r.path === 'contact.email')?.message).toBe('contact.email must be an email address');
  });

  it('refuses a type with characters that cannot form an event type', () => {
    const result = activecampaignDialect.normalise(rawEvent({ type: 'contact.*' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reasons).toEqual([expect.objectContaining({ path: 'type', rule: 'matches', value: '"contact.*"' })]);
  });
});

describe('realistic ActiveCampaign form posts', () => {
  it.each(AC_EVENTS.map((e) => [e.type, e] as const))('%s: accepted, numeric custom-field ids kept as object keys, values as sent', (_type, e) => {
    const body = parseFormBody(acFormBody(e));
    expect(detectDialect(body, FORM).dialect).toBe('activecampaign');
    const event = accept(body);
    expect(event.type).toBe(canonicalActiveCampaignType(e.type));
    expect(event.occurredAt).toBe('2026-03-01T15:00:00.000Z');
    expect(event.initiatedFrom).toBe('admin');
    if (e.contact) {
      expect(event.person.email).toBe('jane.doe+ac@example.com');
      expect(event.attributes['contactId']).toBe('123456');
      expect(event.attributes['tags']).toEqual(['vip', 'newsletter', 'spring sale']);
      // Ids up to six digits, an empty value and a `||a||b||` multi-value arrive exactly as posted.
      expect(event.attributes['fields']).toEqual(AC_FIELDS);
      expect(event.attributes['contact']).toEqual({ orgname: '', customer_acct_name: 'Acme Inc' });
    }
  });

  it('keeps deal custom fields (a 0 … n-1 list) and account fields (ids) as posted', () => {
    const deal = accept(parseFormBody(acFormBody(AC_EVENTS.find((e) => e.type === 'deal_add')!)));
    expect((deal.attributes['deal'] as Record<string, unknown>)['fields']).toEqual([
      { id: '14', key: 'Renewal', value: '||Q1||Q3||' },
      { id: '100234', key: 'Seats', value: '' },
    ]);
    expect(deal.amount).toBe(1299);
    expect(deal.currency).toBe('USD');
    const account = accept(parseFormBody(acFormBody(AC_EVENTS.find((e) => e.type === 'account_add')!)));
    expect(account.attributes['account']).toEqual({ id: '31', name: 'Acme Inc', fields: { '101': 'Enterprise', '2': '' } });
  });
});

describe('splitTags', () => {
  it('splits, trims and drops empties', () => {
    expect(splitTags(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitTags(undefined)).toEqual([]);
  });
});

describe('activecampaignDialect.detect', () => {
  it('scores its signatures, a form body a little higher', () => {
    const body = parseFormBody(SUBSCRIBE);
    expect(activecampaignDialect.detect(body, 'application/json')).toBe(0.95);
    expect(activecampaignDialect.detect(body, FORM)).toBeCloseTo(0.98);
    expect(activecampaignDialect.detect({ type: 'subscribe', contact: { email: 'a@b.co' } })).toBe(0.9);
    expect(activecampaignDialect.detect({ date_time: '2013-01-01 12:00:00 -05:00', initiated_from: 'admin' })).toBe(0.85);
    expect(activecampaignDialect.detect({ type: 'subscribe', contact: 'a@b.co' })).toBe(0);
  });
});
