import { parseFormBody } from './form-body';
import { provesourceDialect } from './provesource.dialect';
import { rawEvent } from './raw-event.fixture';

// Seed 002 example blocks, verbatim values (the seed's JSON has comments, so they are written out here).
const SEED_BASIC = { email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', guid: 'id' };
const SEED_LOCATION = { city: 'Miami', country: 'United States', countryCode: 'US', state: 'Florida', stateCode: 'FL' };
const SEED_PURCHASE = {
  total: 55,
  currency: 'USD',
  productName: 'Sneakers',
  productLink: 'https://sneakers.com/sneakers',
  productImage: 'https://sneakers.com/sneakers.jpg',
};
const SEED_PRODUCTS = {
  products: [
    { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 },
  ],
};

function accept(body: unknown, contentType = 'application/json') {
  const result = provesourceDialect.normalise(rawEvent(body, { contentType, dialect: 'provesource' }));
  if (!result.ok) throw new Error(JSON.stringify(result.reasons));
  return result.event;
}

function reject(body: unknown) {
  const result = provesourceDialect.normalise(rawEvent(body, { dialect: 'provesource' }));
  if (result.ok) throw new Error('expected rejection');
  return result.reasons;
}

describe('provesourceDialect.normalise', () => {
  it('maps the basic seed payload: ms timestamp, ip, names; guid alone is the product id', () => {
    const event = accept(SEED_BASIC);
    expect(event.type).toBe('signup');
    expect(event.occurredAt).toBe('2018-06-10T06:14:39.398Z');
    expect(event.person).toEqual({ email: 'test@gmail.com', firstName: 'John', lastName: 'Smith', ip: '141.92.55.102', nameSource: 'payload' });
    expect(event.product).toEqual({ id: 'id', name: null, link: null, image: null, price: null, quantity: null });
    expect(event.location.source).toBeNull();
    expect(event.dialect).toBe('provesource');
    expect(event.attributes).toEqual({});
  });

  it('maps the location seed block', () => {
    const event = accept({ email: 'test@gmail.com', ...SEED_LOCATION });
    expect(event.location).toEqual({ city: 'Miami', state: 'Florida', stateCode: 'FL', country: 'United States', countryCode: 'US', source: 'payload' });
  });

  it('maps the purchase seed block: a purchase with product, amount and currency', () => {
    const event = accept({ email: 'test@gmail.com', ...SEED_PURCHASE });
    expect(event.type).toBe('purchase');
    expect(event.amount).toBe(55);
    expect(event.currency).toBe('USD');
    expect(event.product).toEqual({
      id: null, name: 'Sneakers', link: 'https://sneakers.com/sneakers', image: 'https://sneakers.com/sneakers.jpg', price: 55, quantity: null,
    });
  });

  it('maps the products seed block: id to string, numbers kept', () => {
    const event = accept({ email: 'test@gmail.com', ...SEED_PRODUCTS });
    const tshirt = { id: '123', name: 'T-Shirt', link: 'https://mystore.com/t-shirt', image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 };
    expect(event.products).toEqual([tshirt]);
    expect(event.product).toEqual(tshirt);
    expect(event.type).toBe('purchase');
  });

  it('picks the most expensive of several products, and fills its id from guid when it has none', () => {
    const event = accept({
      email: 'test@gmail.com',
      guid: 'cat-7',
      products: [
        { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', price: '55' },
        { name: 'Jacket', link: 'https://mystore.com/jacket', price: '1,299.50' },
        { name: 'Socks', link: 'https://mystore.com/socks' },
      ],
    });
    expect(event.product).toEqual({ id: 'cat-7', name: 'Jacket', link: 'https://mystore.com/jacket', image: null, price: 1299.5, quantity: null });
    expect(event.products.map((p) => p.price)).toEqual([55, 1299.5, null]);
  });

  it('accepts epoch seconds as well as milliseconds', () => {
    expect(accept({ ...SEED_BASIC, timestamp: 1528611279 }).occurredAt).toBe('2018-06-10T06:14:39.000Z');
    expect(accept({ ...SEED_BASIC, timestamp: '1528611279398' }).occurredAt).toBe('2018-06-10T06:14:39.398Z');
  });

  it('uses the received time when there is no timestamp', () => {
    const event = accept({ email: 'test@gmail.com' });
    expect(event.occurredAt).toBe('2026-02-28T14:30:00.120Z');
  });

  it('finds the email anywhere when it is not at the top', () => {
    const event = accept({ firstName: 'John', order: { customer: { contact: { Email: 'John.Smith@Gmail.com' } } } });
    expect(event.person.email).toBe('john.smith@gmail.com');
    expect(event.attributes).toEqual({ order: { customer: { contact: { Email: 'John.Smith@Gmail.com' } } } });
  });

  it('reads a form body (all strings, bracket arrays)', () => {
    const body = parseFormBody(
      'email=test%40gmail.com&timestamp=1528611279398&firstName=John&lastName=&total=55&currency=usd' +
        '&products[0][name]=T-Shirt&products[0][link]=https%3A%2F%2Fmystore.com%2Ft-shirt&products[0][id]=123&products[0][price]=55&products[0][quantity]=2',
    );
    const event = accept(body, 'application/x-www-form-urlencoded');
    expect(event.person).toEqual({ email: 'test@gmail.com', firstName: 'John', lastName: null, ip: null, nameSource: 'payload' });
    expect(event.amount).toBe(55);
    expect(event.currency).toBe('USD');
    expect(event.product).toEqual({ id: '123', name: 'T-Shirt', link: 'https://mystore.com/t-shirt', image: null, price: 55, quantity: 2 });
  });

  it('honours an explicit social-proof event type, and keeps an unusable one as an attribute', () => {
    expect(accept({ ...SEED_BASIC, ...SEED_PURCHASE, event: 'Review' }).type).toBe('review');
    const event = accept({ ...SEED_BASIC, type: 'order.created', total: 5 });
    expect(event.type).toBe('purchase');
    expect(event.attributes).toEqual({ type: 'order.created' });
  });

  it('takes the currency from a symbol in total when no currency is given', () => {
    const event = accept({ email: 'test@gmail.com', total: '€49.90' });
    expect(event.amount).toBe(49.9);
    expect(event.currency).toBe('EUR');
  });

  it('requires an email, reporting that it searched', () => {
    expect(reject({ firstName: 'John' })).toEqual([
      { path: 'email', rule: 'required', message: 'email is required (none found anywhere in the payload)' },
    ]);
  });

  it('refuses an invalid top-level email without searching elsewhere, masking it', () => {
    expect(reject({ email: 'john@localhost', customer: { email: 'john@example.com' } })).toEqual([
      { path: 'email', rule: 'isEmail', message: 'email must be an email address', value: '"j***@localhost"' },
    ]);
  });

  it('collects every problem, with nested product paths', () => {
    const reasons = reject({
      email: 'test@gmail.com',
      timestamp: 'soon',
      ip: '999.1.1.1',
      countryCode: 'USA',
      total: 'lots',
      currency: 'dollars',
      products: [
        { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', price: 55 },
        { link: 'https://mystore.com/x', price: 'free', quantity: -1 },
      ],
    });
    expect(reasons.map((r) => `${r.path}:${r.rule}`)).toEqual([
      'timestamp:isTimestamp',
      'ip:isIp',
      'countryCode:isISO31661Alpha2',
      'total:isAmount',
      'currency:isISO4217',
      'products[1].name:required',
      'products[1].price:isAmount',
      'products[1].quantity:isQuantity',
    ]);
    const price = reasons.find((r) => r.path === 'products[1].price');
    expect(price).toEqual({
      path: 'products[1].price',
      rule: 'isAmount',
      message: 'products[1].price must be a number or a numeric string such as "49.00" or "1,299.50"',
      value: '"free"',
    });
  });

  it('refuses products that is not an array of objects', () => {
    expect(reject({ email: 'test@gmail.com', products: 'T-Shirt' }).map((r) => `${r.path}:${r.rule}`)).toEqual(['products:isArray', 'products:isObject']);
    expect(reject({ email: 'test@gmail.com', products: ['T-Shirt'] }).map((r) => r.path)).toContain('products[0]');
  });
});

describe('provesourceDialect.detect', () => {
  it('needs an email plus a ProveSource field', () => {
    expect(provesourceDialect.detect(SEED_BASIC)).toBe(0.8);
    expect(provesourceDialect.detect({ user: { email: 'test@gmail.com' }, productName: 'Sneakers' })).toBe(0.8);
    expect(provesourceDialect.detect({ email: 'test@gmail.com', timestamp: 1528611279398 })).toBe(0.8);
    expect(provesourceDialect.detect({ email: 'test@gmail.com', timestamp: '2026-02-28T14:30:00Z' })).toBe(0);
    expect(provesourceDialect.detect({ firstName: 'John', guid: 'x' })).toBe(0);
  });
});
