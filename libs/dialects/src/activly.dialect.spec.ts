import { activlyDialect } from './activly.dialect';
import { rawEvent } from './raw-event.fixture';

// Seed 000, "Required payload format".
const SEED_REQUIRED = {
  event: 'purchase',
  first_name: 'Sarah',
  city: 'London',
  country: 'UK',
  product: 'Running Shoes',
  timestamp: '2026-02-28T14:30:00Z',
};
// Seed 000, the curl example.
const SEED_CURL = JSON.parse(
  '{"event":"purchase","first_name":"Alex","city":"Berlin","country":"DE","product":"Pro Plan","timestamp":"2026-02-28T12:00:00Z"}',
) as Record<string, unknown>;

describe('activlyDialect.normalise', () => {
  it('maps the seed payload to the canonical event', () => {
    const result = activlyDialect.normalise(rawEvent(SEED_REQUIRED, { dialect: 'activly' }));
    expect(result).toEqual({
      ok: true,
      event: {
        id: 'evt_0test0000000000000000000',
        accountId: 'acc_1',
        sourceId: 'src_1',
        type: 'purchase',
        occurredAt: '2026-02-28T14:30:00.000Z',
        receivedAt: '2026-02-28T14:30:00.120Z',
        initiatedFrom: 'api',
        person: { email: null, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
        location: { city: 'London', state: null, stateCode: null, country: null, countryCode: 'GB', source: 'payload' },
        product: { id: null, name: 'Running Shoes', link: null, image: null, price: null, quantity: null },
        products: [],
        amount: null,
        currency: null,
        attributes: {},
        dialect: 'activly',
      },
    });
  });

  it('maps the curl example: a two-letter country becomes countryCode, the name is left to the enricher', () => {
    const result = activlyDialect.normalise(rawEvent(SEED_CURL));
    if (!result.ok) throw new Error(JSON.stringify(result.reasons));
    expect(result.event.location).toEqual({ city: 'Berlin', state: null, stateCode: null, country: null, countryCode: 'DE', source: 'payload' });
    expect(result.event.product?.name).toBe('Pro Plan');
    expect(result.event.person.firstName).toBe('Alex');
    expect(result.event.occurredAt).toBe('2026-02-28T12:00:00.000Z');
  });

  it('maps the optional fields and keeps unknown ones as attributes', () => {
    const result = activlyDialect.normalise(
      rawEvent({
        ...SEED_REQUIRED,
        country: 'United Kingdom',
        amount: 49.0,
        currency: 'gbp',
        email: ' Sarah@Example.com ',
        product_url: 'https://shop.example.com/running-shoes',
        plan: 'pro',
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.reasons));
    expect(result.event.amount).toBe(49);
    expect(result.event.currency).toBe('GBP');
    expect(result.event.person.email).toBe('sarah@example.com');
    expect(result.event.product).toEqual({
      id: null, name: 'Running Shoes', link: 'https://shop.example.com/running-shoes', image: null, price: 49, quantity: null,
    });
    expect(result.event.location.country).toBe('United Kingdom');
    expect(result.event.location.countryCode).toBeNull();
    expect(result.event.attributes).toEqual({ plan: 'pro' });
  });

  it('accepts each of the four event types', () => {
    for (const type of ['purchase', 'signup', 'review', 'custom']) {
      const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, event: type }));
      expect(result.ok && result.event.type).toBe(type);
    }
  });

  it('reports a non-UTC timestamp with the precise reason', () => {
    const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, timestamp: 'yesterday' }));
    expect(result).toEqual({
      ok: false,
      reasons: [
        {
          path: 'timestamp',
          rule: 'isUtcIso8601',
          message: 'timestamp must be an ISO 8601 UTC string, e.g. 2026-02-28T14:30:00Z',
          value: '"yesterday"',
        },
      ],
    });
  });

  it('refuses a timestamp with a non-zero offset, and epoch numbers', () => {
    for (const timestamp of ['2026-02-28T14:30:00+01:00', '2026-02-28T14:30:00', 1772289000]) {
      const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, timestamp }));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reasons.map((r) => r.rule)).toEqual(['isUtcIso8601']);
    }
  });

  it('accepts +00:00 as UTC', () => {
    const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, timestamp: '2026-02-28T14:30:00+00:00' }));
    expect(result.ok && result.event.occurredAt).toBe('2026-02-28T14:30:00.000Z');
  });

  it('collects every problem: all missing required fields and bad optional ones', () => {
    const result = activlyDialect.normalise(
      rawEvent({ event: 'sale', amount: '49.00', currency: '$', email: 'sarah@', product_url: 'javascript:alert(1)' }),
    );
    if (result.ok) throw new Error('expected rejection');
    const byPath = Object.fromEntries(result.reasons.map((r) => [r.path, r.rule]));
    expect(byPath).toEqual({
      event: 'isIn',
      first_name: 'required',
      city: 'required',
      country: 'required',
      product: 'required',
      timestamp: 'required',
      amount: expect.stringMatching(/isNumber|min/),
      currency: 'isISO4217',
      email: 'isEmail',
      product_url: 'isUrl',
    });
    expect(result.reasons.find((r) => r.path === 'first_name')).toEqual({ path: 'first_name', rule: 'required', message: 'first_name is required' });
    expect(result.reasons.find((r) => r.path === 'event')?.value).toBe('"sale"');
  });

  it('masks an invalid email in the reason value', () => {
    const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, email: 'sarah@example' }));
    if (result.ok) throw new Error('expected rejection');
    expect(result.reasons).toEqual([expect.objectContaining({ path: 'email', rule: 'isEmail', value: '"s***@example"' })]);
  });

  it('refuses an empty required string and a negative amount', () => {
    const result = activlyDialect.normalise(rawEvent({ ...SEED_REQUIRED, first_name: '', amount: -1 }));
    if (result.ok) throw new Error('expected rejection');
    expect(result.reasons.map((r) => `${r.path}:${r.rule}`)).toEqual(['first_name:isNotEmpty', 'amount:min']);
  });

  it('refuses a body that is not an object', () => {
    const result = activlyDialect.normalise(rawEvent([SEED_REQUIRED]));
    expect(result).toEqual({ ok: false, reasons: [{ path: '', rule: 'isObject', message: 'body must be a JSON object or form fields' }] });
  });

  it('does not let a __proto__ key reach the DTO or the attributes', () => {
    const body = JSON.parse(`{"__proto__":{"event":"purchase"},${JSON.stringify(SEED_REQUIRED).slice(1)}`) as unknown;
    const result = activlyDialect.normalise(rawEvent(body));
    if (!result.ok) throw new Error(JSON.stringify(result.reasons));
    expect(Object.keys(result.event.attributes)).toEqual([]);
    expect(({} as Record<string, unknown>)['event']).toBeUndefined();
  });
});

describe('activlyDialect.detect', () => {
  it('is confident for the seed payload and scores a form body lower', () => {
    expect(activlyDialect.detect(SEED_REQUIRED, 'application/json')).toBe(0.95);
    expect(activlyDialect.detect({ ...SEED_REQUIRED, event: 'other' })).toBe(0.9);
    expect(activlyDialect.detect(SEED_REQUIRED, 'application/x-www-form-urlencoded')).toBeCloseTo(0.75);
  });

  it('scores 0 without its signature fields', () => {
    expect(activlyDialect.detect({ event: 'purchase', first_name: 'Sarah' })).toBe(0);
    expect(activlyDialect.detect('purchase')).toBe(0);
  });

  it('refuses, never throws on, nested constructor/__proto__ keys inside known fields (found by fuzzing)', () => {
    const result = activlyDialect.normalise(rawEvent({ event: [{ constructor: ' ' }], first_name: { constructor: 'x', __proto__: 'y' } }, { dialect: 'activly' }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reasons.map((r) => r.path)).toEqual(expect.arrayContaining(['event', 'first_name']));
  });
});
