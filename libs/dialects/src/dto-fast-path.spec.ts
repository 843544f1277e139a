import { dtoCheck } from '@hookstream/contracts';
import { plainToInstance, Type, type ClassConstructor } from 'class-transformer';
import { IsOptional, IsString, ValidateNested } from 'class-validator';
import fc from 'fast-check';
import { ActiveCampaignPayloadDto, activecampaignPlain } from './activecampaign.dialect';
import { AC_EVENTS, acFormBody } from './activecampaign.samples';
import { ActivlyPayloadDto, activlyPlain } from './activly.dialect';
import { parseFormBody } from './form-body';
import { ProvesourcePayloadDto, provesourcePlain } from './provesource.dialect';
import { builtLikePlainToInstance, validateDto } from './validators';

/**
 * validateDto's fast path (an instance built as plainToInstance builds it + the DTO's decorators as
 * one standalone check, dtoCheck) must give exactly what plainToInstance + validateSync give: the
 * same DTO (class, keys, values) and the same reasons, for valid and invalid payloads alike.
 */

type Case<T extends object> = { name: string; cls: ClassConstructor<T>; plainOf: (body: Record<string, unknown>) => Record<string, unknown> };
const ACTIVLY: Case<ActivlyPayloadDto> = { name: 'activly', cls: ActivlyPayloadDto, plainOf: activlyPlain };
const PROVESOURCE: Case<ProvesourcePayloadDto> = { name: 'provesource', cls: ProvesourcePayloadDto, plainOf: provesourcePlain };
const ACTIVECAMPAIGN: Case<ActiveCampaignPayloadDto> = { name: 'activecampaign', cls: ActiveCampaignPayloadDto, plainOf: activecampaignPlain };

/** Both paths on one body; returns whether the fast check accepted it. */
function sameBothWays<T extends object>(c: Case<T>, body: Record<string, unknown>): boolean {
  const slow = validateDto(c.cls, c.plainOf(body), false);
  const fast = validateDto(c.cls, c.plainOf(body));
  expect(fast).toStrictEqual(slow);
  // The instance builder alone (whatever the check says) matches plainToInstance.
  const built = builtLikePlainToInstance(c.cls, c.plainOf(body));
  expect(built).toStrictEqual(slow.dto);
  const accepted = dtoCheck(c.cls)(built as T);
  // The check is exact: a yes exactly when validateSync finds nothing.
  expect(accepted).toBe(slow.reasons.length === 0);
  return accepted;
}

describe('validateDto: the instance builder', () => {
  class Leaf {
    @IsString() name!: string;
  }
  class Middle {
    @IsOptional() @ValidateNested() @Type(() => Leaf) leaf?: Leaf;
  }
  class Root {
    @IsOptional() @ValidateNested({ each: true }) @Type(() => Middle) middles?: Middle[];
  }

  it('builds nested @Type classes at any depth, as plainToInstance does', () => {
    const plain = { middles: [{ leaf: { name: 'x', extra: [1, { a: 2 }] } }, { leaf: null }, 'text'], other: { toString: 1 } };
    const built = builtLikePlainToInstance(Root, plain);
    expect(built).toStrictEqual(plainToInstance(Root, plain, { enableImplicitConversion: false }));
    expect(built?.middles?.[0].leaf).toBeInstanceOf(Leaf);
  });
});

// Realistic payloads: the seed documents' examples, the bench's and the dashboard test button's, every ActiveCampaign post.
const ACTIVLY_VALID: Record<string, unknown>[] = [
  { event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z' },
  { event: 'purchase', first_name: 'Alex', city: 'Berlin', country: 'DE', product: 'Pro Plan', timestamp: '2026-02-28T12:00:00Z' },
  {
    event: 'purchase', first_name: 'Bench', email: 'bench-1@example.com', city: 'London', country: 'UK', product: 'Running Shoes', amount: 49,
    currency: 'GBP', timestamp: '2026-03-01T10:00:00Z',
  },
  {
    event: 'signup', first_name: 'Sarah', city: 'London', country: 'United Kingdom', product: 'Newsletter', timestamp: '2026-02-28T14:30:00+00:00',
    email: 'sarah.test+x@example.com', amount: 0, currency: 'eur', product_url: 'https://shop.example.com/p/1?ref=a', plan: 'pro', tags: ['a'],
  },
  { event: 'review', first_name: '😀'.repeat(200), city: 'x'.repeat(200), country: 'FR', product: 'y'.repeat(500), timestamp: '2026-02-28T14:30:00.123Z', amount: 12.5, currency: '€' },
];
const PROVESOURCE_VALID: Record<string, unknown>[] = [
  { email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', guid: 'id' },
  {
    email: 'test@gmail.com', timestamp: 1528611279398, ip: '141.92.55.102', firstName: 'John', lastName: 'Smith', city: 'Miami',
    country: 'United States', countryCode: 'US', state: 'Florida', stateCode: 'FL', total: 55, currency: 'USD', productName: 'Sneakers',
    productLink: 'https://sneakers.com/sneakers', productImage: 'https://sneakers.com/sneakers.jpg',
  },
  {
    email: 'test@gmail.com', timestamp: '1528611279',
    products: [
      { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 },
      { name: 'Cap', link: 'https://mystore.com/cap', id: 'cap-1', price: '1,299.50', quantity: '3', colour: 'red' },
    ],
  },
  { customer: { contact: { email: 'deep@example.com' } }, firstName: 'Deep', countryCode: 'gb', total: '$49', ip: '::1' },
  parseFormBody('email=form%40example.com&firstName=Form&lastName=&timestamp=1528611279&city=&total=10.00&currency=GBP') as Record<string, unknown>,
];
const AC_POSTS: Record<string, unknown>[] = [
  ...AC_EVENTS.map((e) => parseFormBody(acFormBody(e)) as Record<string, unknown>),
  { type: 'subscribe', date_time: '2026-03-01T10:00:00-05:00', initiated_from: 'admin', contact: { email: 'json@example.com', tags: ['a', 'b'], fields: { '1': 'x' } } },
  { type: 'deal_add', date_time: '2013-01-01 12:00:00', deal: { id: 1, value: '1,000.00', currency: 'usd', toString: 'kept?', nested: { valueOf: 1, ok: [1, { a: 2 }] } } },
];

describe('validateDto: fast path and validateSync agree on realistic payloads', () => {
  it('activly: every valid one takes the fast path, with the same DTO', () => {
    for (const body of ACTIVLY_VALID) expect(sameBothWays(ACTIVLY, body)).toBe(true);
  });

  it('provesource: every valid one takes the fast path, with the same DTO', () => {
    for (const body of PROVESOURCE_VALID) expect(sameBothWays(PROVESOURCE, body)).toBe(true);
  });

  it('activecampaign: every ActiveCampaign post takes the fast path, with the same DTO', () => {
    for (const body of AC_POSTS) expect(sameBothWays(ACTIVECAMPAIGN, body)).toBe(true);
  });

  it('invalid payloads keep validateSync\'s reasons word for word', () => {
    expect(sameBothWays(ACTIVLY, { event: 'sale', amount: '49.00', currency: '$', email: 'sarah@', product_url: 'javascript:alert(1)' })).toBe(false);
    expect(validateDto(ActivlyPayloadDto, activlyPlain({ ...ACTIVLY_VALID[0], first_name: '', amount: -1 })).reasons).toEqual([
      { path: 'first_name', rule: 'isNotEmpty', message: 'first_name should not be empty', value: '""' },
      { path: 'amount', rule: 'min', message: 'amount must not be less than 0', value: '-1' },
    ]);
    expect(sameBothWays(PROVESOURCE, { email: 'a@b.co', products: [{ name: 'n' }, 'x', { name: 1, link: 'l', price: 'abc' }] })).toBe(false);
    expect(sameBothWays(ACTIVECAMPAIGN, { type: 'bad type!', contact: { email: 'nope', ip: '999.1.1.1', tags: [1] }, deal: 'x' })).toBe(false);
    expect(sameBothWays(ACTIVECAMPAIGN, { type: 'subscribe', contact: 'jane@example.com' })).toBe(false);
  });
});

// Generated payloads: a valid one with some fields (or a nested item's fields) replaced by edge values.
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const EDGE: unknown[] = [
  undefined, null, '', ' ', 'a', 0, -0, -1, 1.5, 49, 1e21, Number.NaN, Number.POSITIVE_INFINITY, true, false, [], ['a'], [1], {}, [{}],
  'x'.repeat(16), 'x'.repeat(17), 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(200), 'x'.repeat(201), 'x'.repeat(500), 'x'.repeat(501), 'x'.repeat(2001),
  '😀'.repeat(200), '😀'.repeat(201), 'purchase', 'PURCHASE', 'signup', 'subscribe', 'deal_add', 'bad type!', 'admin', 'web',
  '2026-02-28T14:30:00Z', '2026-02-28T14:30:00+00:00', '2026-02-28T14:30:00+01:00', '2026-02-30T10:00:00Z', '2013-01-01 12:00:00 -05:00',
  '2013-01-01 12:00:00', 1528611279398, '1528611279', '1e400', 'GBP', 'gbp', '€', '$', 'US$', '49', '$49', '1,299.50', '1.299,50', '-1', '2',
  'a@b.co', 'Sarah@Example.COM', 'sarah@', 'https://example.com/x', 'http://a', 'ftp://x', 'javascript:alert(1)', 'example.com', '127.0.0.1',
  '::1', '999.1.1.1', 'US', 'UK', 'gb', 'XX', 'a, b', { toString: 'x', valueOf: 1, a: { hasOwnProperty: 2 } }, { id: 1, value: '10' },
  [{ name: 'n', link: 'l' }], [{ name: 'n', link: 'l', price: 'x' }, 'y'], [['nested']],
];
const edge = fc.constantFrom(...EDGE);
const overrides = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), edge, { maxKeys: 3 });
const dropSome = (keys: string[]) => fc.subarray(keys, { maxLength: 2 });

function mutated(base: Record<string, unknown>, set: Record<string, unknown>, drop: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...set };
  for (const k of drop) delete out[k];
  return out;
}

describe('validateDto: fast path and validateSync agree on every field set to every edge value', () => {
  const each = <T extends object>(c: Case<T>, base: Record<string, unknown>, keys: string[], put: (body: Record<string, unknown>, key: string, v: unknown) => void) => {
    let fastHits = 0;
    for (const key of keys) {
      for (const v of EDGE) {
        const body = structuredClone(base);
        put(body, key, v);
        if (sameBothWays(c, body)) fastHits++;
      }
    }
    return fastHits;
  };
  const top = (body: Record<string, unknown>, key: string, v: unknown) => { body[key] = v; };

  it('activly', () => {
    expect(each(ACTIVLY, ACTIVLY_VALID[3], Object.keys(ACTIVLY_VALID[3]), top)).toBeGreaterThan(50);
  });

  it('provesource, and a products[] item', () => {
    const base = { ...PROVESOURCE_VALID[1], products: PROVESOURCE_VALID[2]['products'] };
    expect(each(PROVESOURCE, base, Object.keys(base), top)).toBeGreaterThan(50);
    const item = (body: Record<string, unknown>, key: string, v: unknown) => { (body['products'] as Record<string, unknown>[])[1][key] = v; };
    expect(each(PROVESOURCE, base, ['name', 'link', 'id', 'image', 'price', 'quantity'], item)).toBeGreaterThan(50);
  });

  it('activecampaign, and its contact block', () => {
    const base = AC_POSTS[0];
    expect(each(ACTIVECAMPAIGN, base, ['type', 'date_time', 'initiated_from', 'initiated_by', 'list', 'contact', 'deal'], top)).toBeGreaterThan(50);
    const contact = (body: Record<string, unknown>, key: string, v: unknown) => { (body['contact'] as Record<string, unknown>)[key] = v; };
    expect(each(ACTIVECAMPAIGN, base, ['id', 'email', 'first_name', 'last_name', 'phone', 'ip', 'tags', 'fields'], contact)).toBeGreaterThan(50);
  });
});

describe('validateDto: fast path and validateSync agree on generated payloads', () => {
  const activlyKeys = ['event', 'first_name', 'city', 'country', 'product', 'timestamp', 'amount', 'currency', 'email', 'product_url', 'extra'];
  it('activly', () => {
    let fastHits = 0;
    fc.assert(
      fc.property(fc.constantFrom(...ACTIVLY_VALID), overrides(activlyKeys), dropSome(activlyKeys), (base, set, drop) => {
        if (sameBothWays(ACTIVLY, mutated(base, set, drop))) fastHits++;
      }),
      { numRuns: RUNS },
    );
    // Enough generated payloads are valid for the accepting side to be exercised too.
    expect(fastHits).toBeGreaterThan(RUNS / 10);
  });

  const psKeys = [
    'email', 'timestamp', 'ip', 'firstName', 'lastName', 'city', 'country', 'countryCode', 'state', 'stateCode', 'productName', 'productLink',
    'productImage', 'total', 'currency', 'guid', 'products',
  ];
  const productKeys = ['name', 'link', 'id', 'image', 'price', 'quantity', 'constructor'];
  it('provesource, including products[] items', () => {
    let fastHits = 0;
    const product = fc.tuple(overrides(productKeys), dropSome(productKeys)).map(([set, drop]) =>
      mutated({ name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, price: 55, quantity: 2 }, set, drop));
    fc.assert(
      fc.property(
        fc.constantFrom(...PROVESOURCE_VALID), overrides(psKeys), dropSome(psKeys), fc.option(fc.array(fc.oneof(product, edge), { maxLength: 3 })),
        (base, set, drop, products) => {
          const body = mutated(base, set, drop);
          if (products !== null) body['products'] = products;
          if (sameBothWays(PROVESOURCE, body)) fastHits++;
        },
      ),
      { numRuns: RUNS },
    );
    // Enough generated payloads are valid for the accepting side to be exercised too.
    expect(fastHits).toBeGreaterThan(RUNS / 10);
  });

  const acKeys = ['type', 'date_time', 'initiated_from', 'initiated_by', 'list', 'contact', 'deal'];
  const contactKeys = ['id', 'email', 'first_name', 'last_name', 'phone', 'ip', 'tags', 'fields', 'orgname', 'toString'];
  it('activecampaign, including the contact block', () => {
    let fastHits = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...AC_POSTS), overrides(acKeys), dropSome(acKeys), overrides(contactKeys), dropSome(contactKeys),
        (base, set, drop, contactSet, contactDrop) => {
          const body = mutated(base, set, drop);
          const contact = body['contact'];
          if (contact !== null && typeof contact === 'object' && !Array.isArray(contact)) {
            body['contact'] = mutated(contact as Record<string, unknown>, contactSet, contactDrop);
          }
          if (sameBothWays(ACTIVECAMPAIGN, body)) fastHits++;
        },
      ),
      { numRuns: RUNS },
    );
    // Enough generated payloads are valid for the accepting side to be exercised too.
    expect(fastHits).toBeGreaterThan(RUNS / 10);
  });
});
