import { parseFormBody } from './form-body';
import { genericDialect } from './generic.dialect';
import { rawEvent } from './raw-event.fixture';

function accept(body: unknown) {
  const result = genericDialect.normalise(rawEvent(body, { dialect: 'generic' }));
  if (!result.ok) throw new Error(JSON.stringify(result.reasons));
  return result.event;
}

describe('genericDialect.normalise', () => {
  it('caps mapped field lengths like the other dialects: an over-long field is a maxLength reason', () => {
    const result = genericDialect.normalise(rawEvent({
      first_name: 'J'.repeat(201), city: 'c'.repeat(201), state_code: 'T'.repeat(17), product_name: 'p'.repeat(501),
      product_url: `https://x.example/${'u'.repeat(2000)}`, products: [{ name: 'ok' }, { name: 'n'.repeat(501), image: 'i'.repeat(2001) }],
      note: 'n'.repeat(5000),
    }, { dialect: 'generic' }));
    if (result.ok) throw new Error('expected rejection');
    expect(result.reasons.map((r) => `${r.path}:${r.rule}`).sort()).toEqual([
      'city:maxLength', 'first_name:maxLength', 'product_name:maxLength', 'product_url:maxLength',
      'products[1].image:maxLength', 'products[1].name:maxLength', 'state_code:maxLength',
    ]);
    expect(result.reasons.find((r) => r.path === 'first_name')?.message).toBe('first_name must be shorter than or equal to 200 characters');
    // At the bounds, and unmapped fields of any length, are accepted.
    const ok = accept({ first_name: 'J'.repeat(200), city: 'c'.repeat(200), state_code: 'T'.repeat(16), product_name: 'p'.repeat(500), note: 'n'.repeat(5000) });
    expect(ok.person.firstName).toHaveLength(200);
    expect(ok.attributes['note']).toHaveLength(5000);
  });

  it('maps common snake_case names and keeps the rest as attributes', () => {
    const event = accept({
      event_type: 'Order.Created',
      email: 'Jane@Example.com',
      first_name: 'Jane',
      surname: 'Doe',
      created_at: '2026-03-01T10:00:00-05:00',
      ip_address: '2001:db8::1',
      city: 'Austin',
      state: 'Texas',
      state_code: 'tx',
      country: 'United States',
      country_code: 'us',
      total: '$1,299.50',
      currency: 'usd',
      product_name: 'Laptop',
      sku: 'LP-1',
      product_url: 'https://shop.example.com/laptop',
      order_id: 991,
    });
    expect(event.type).toBe('order.created');
    expect(event.occurredAt).toBe('2026-03-01T15:00:00.000Z');
    expect(event.person).toEqual({ email: 'jane@example.com', firstName: 'Jane', lastName: 'Doe', ip: '2001:db8::1', nameSource: 'payload' });
    expect(event.location).toEqual({ city: 'Austin', state: 'Texas', stateCode: 'TX', country: 'United States', countryCode: 'US', source: 'payload' });
    expect(event.amount).toBe(1299.5);
    expect(event.currency).toBe('USD');
    expect(event.product).toEqual({ id: 'LP-1', name: 'Laptop', link: 'https://shop.example.com/laptop', image: null, price: 1299.5, quantity: null });
    expect(event.attributes).toEqual({ order_id: 991 });
    expect(event.dialect).toBe('generic');
  });

  it('maps camelCase names, splits a full name, and searches the email anywhere', () => {
    const event = accept({ name: 'Mary Ann Smith', customer: { contact: 'mary@example.org' }, occurredAt: 1772289000 });
    expect(event.person.email).toBe('mary@example.org');
    expect(event.person.firstName).toBe('Mary');
    expect(event.person.lastName).toBe('Ann Smith');
    expect(event.occurredAt).toBe('2026-02-28T14:30:00.000Z');
    expect(event.attributes).toEqual({ customer: { contact: 'mary@example.org' } });
  });

  it('keeps name as an attribute when first/last names are given', () => {
    const event = accept({ firstName: 'Ann', lastName: 'Lee', name: 'Newsletter form' });
    expect(event.person.firstName).toBe('Ann');
    expect(event.attributes).toEqual({ name: 'Newsletter form' });
  });

  it('defaults the type to custom and the time to the received time', () => {
    const event = accept({ hello: 'world' });
    expect(event.type).toBe('custom');
    expect(event.occurredAt).toBe('2026-02-28T14:30:00.120Z');
    expect(event.person.email).toBeNull();
    expect(event.product).toBeNull();
    expect(event.attributes).toEqual({ hello: 'world' });
  });

  it('picks the most expensive item from items[]', () => {
    const event = accept({ items: [{ name: 'A', price: 5 }, { name: 'B', price: '7.5' }] });
    expect(event.product?.name).toBe('B');
    expect(event.products).toHaveLength(2);
  });

  it('reads a product object', () => {
    const event = accept({ product: { id: 9, name: 'Mug', price: '12' } });
    expect(event.product).toEqual({ id: '9', name: 'Mug', link: null, image: null, price: 12, quantity: null });
  });

  it('does not make a product out of a link alone, and keeps it as an attribute', () => {
    const event = accept({ product_url: 'https://x.example.com' });
    expect(event.product).toBeNull();
    expect(event.attributes).toEqual({ product_url: 'https://x.example.com' });
  });

  it('reads a form body', () => {
    const event = accept(parseFormBody('e-mail=a%40example.com&fname=Al&event=signup&time=1528611279'));
    expect(event.person.email).toBe('a@example.com');
    expect(event.person.firstName).toBe('Al');
    expect(event.type).toBe('signup');
    expect(event.occurredAt).toBe('2018-06-10T06:14:39.000Z');
  });

  it('collects every unreadable mapped field', () => {
    const result = genericDialect.normalise(
      rawEvent({ email: 'not-an-email', ip: 'home', type: 'a b', date: 'last week', amount: 'lots', currency: 'bucks', country_code: 'USA', items: 'x' }),
    );
    if (result.ok) throw new Error('expected rejection');
    expect(result.reasons.map((r) => `${r.path}:${r.rule}`)).toEqual([
      'email:isEmail',
      'ip:isIp',
      'type:isEventType',
      'date:isTimestamp',
      'country_code:isISO31661Alpha2',
      'amount:isAmount',
      'currency:isISO4217',
      'items:isArray',
    ]);
    expect(result.reasons[3].message).toMatch(/^date must be an ISO 8601 date-time/);
  });

  it('refuses a non-object body', () => {
    expect(genericDialect.normalise(rawEvent('text')).ok).toBe(false);
    expect(genericDialect.detect('text')).toBe(0);
    expect(genericDialect.detect({})).toBe(0.1);
  });
});
