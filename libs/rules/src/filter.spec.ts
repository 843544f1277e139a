import type { FilterExpr } from '@hookstream/contracts';
import { compileFilter, evaluateFilter, MAX_FILTER_NODES, readPath, validateFilter } from './filter';
import { makeEvent } from './rules.fixture';

const event = makeEvent({
  amount: 49,
  attributes: { plan: 'Pro', score: '42', tags: ['VIP', 'newsletter'], signedUpAt: '2026-02-01T10:00:00+01:00', flag: true },
  products: [
    { id: 'a', name: 'Shoe', link: null, image: null, price: 30, quantity: 1 },
    { id: 'b', name: 'Sock', link: null, image: null, price: 5, quantity: 2 },
  ],
});
const ev = (expr: FilterExpr): boolean => evaluateFilter(expr, event);

describe('readPath', () => {
  it('walks objects and array indexes', () => {
    expect(readPath(event, ['products', '1', 'name'])).toBe('Sock');
    expect(readPath(event, ['location', 'countryCode'])).toBe('GB');
  });
  it('does not resolve inherited properties', () => {
    expect(readPath(event, ['constructor'])).toBeUndefined();
    expect(readPath(event, ['attributes', '__proto__'])).toBeUndefined();
    expect(readPath(event, ['products', 'length'])).toBeUndefined();
  });
});

describe('evaluateFilter', () => {
  it.each<[FilterExpr, boolean]>([
    [{ path: 'person.email', op: 'eq', value: 'Sarah@Example.com' }, true],
    [{ path: 'person.email', op: 'eq', value: 'sarah@example.com' }, false],
    [{ path: 'location.countryCode', op: 'ne', value: 'US' }, true],
    [{ path: 'location.countryCode', op: 'ne', value: 'GB' }, false],
    [{ path: 'amount', op: 'gt', value: 48 }, true],
    [{ path: 'amount', op: 'gt', value: 49 }, false],
    [{ path: 'amount', op: 'gte', value: 49 }, true],
    [{ path: 'amount', op: 'lt', value: 49 }, false],
    [{ path: 'amount', op: 'lte', value: 49 }, true],
    [{ path: 'product.price', op: 'eq', value: 49 }, true],
    [{ path: 'products.0.price', op: 'gt', value: 20 }, true],
    [{ path: 'products.1.price', op: 'gt', value: 20 }, false],
    [{ path: 'attributes.plan', op: 'in', value: ['Basic', 'Pro'] }, true],
    [{ path: 'attributes.plan', op: 'in', value: ['Basic'] }, false],
  ])('%j → %s', (expr, expected) => {
    expect(ev(expr)).toBe(expected);
  });

  it('compares a numeric string with a number numerically', () => {
    expect(ev({ path: 'attributes.score', op: 'gt', value: 9 })).toBe(true);
    expect(ev({ path: 'attributes.score', op: 'eq', value: 42 })).toBe(true);
    expect(evaluateFilter({ path: 'amount', op: 'eq', value: '49' }, event)).toBe(true);
  });

  it('compares two strings lexicographically, so numeric strings compare as text', () => {
    expect(ev({ path: 'attributes.score', op: 'gt', value: '9' })).toBe(false);
    expect(ev({ path: 'attributes.plan', op: 'gt', value: 'Basic' })).toBe(true);
    expect(ev({ path: 'attributes.plan', op: 'lt', value: 'pro' })).toBe(true); // 'P' < 'p'
  });

  it('compares ISO dates as instants, whatever their offset or precision', () => {
    // 10:00+01:00 is 09:00Z
    expect(ev({ path: 'attributes.signedUpAt', op: 'eq', value: '2026-02-01T09:00:00.000Z' })).toBe(true);
    expect(ev({ path: 'attributes.signedUpAt', op: 'lt', value: '2026-02-01T09:30:00Z' })).toBe(true);
    expect(ev({ path: 'occurredAt', op: 'gte', value: '2026-02-28' })).toBe(true);
    expect(ev({ path: 'occurredAt', op: 'lt', value: '2026-02-28' })).toBe(false);
  });

  it('contains: case-insensitive substring, or array membership', () => {
    expect(ev({ path: 'person.email', op: 'contains', value: '@EXAMPLE.' })).toBe(true);
    expect(ev({ path: 'person.email', op: 'contains', value: 'gmail' })).toBe(false);
    expect(ev({ path: 'attributes.tags', op: 'contains', value: 'vip' })).toBe(true);
    expect(ev({ path: 'attributes.tags', op: 'contains', value: 'vi' })).toBe(false);
    expect(ev({ path: 'amount', op: 'contains', value: '4' })).toBe(false);
  });

  it('in: an array on the event side matches when any member is listed', () => {
    expect(ev({ path: 'attributes.tags', op: 'in', value: ['x', 'newsletter'] })).toBe(true);
    expect(ev({ path: 'attributes.tags', op: 'in', value: ['x'] })).toBe(false);
    expect(ev({ path: 'attributes.plan', op: 'in', value: 'Pro' })).toBe(false);
  });

  it('exists: true for a present value, false for undefined or null', () => {
    expect(ev({ path: 'attributes.plan', op: 'exists', value: true })).toBe(true);
    expect(ev({ path: 'attributes.plan', op: 'exists', value: false })).toBe(false);
    expect(ev({ path: 'person.lastName', op: 'exists', value: true })).toBe(false);
    expect(ev({ path: 'person.lastName', op: 'exists', value: false })).toBe(true);
    expect(ev({ path: 'attributes.flag', op: 'exists' })).toBe(true);
  });

  it('a missing path fails every op except ne and exists:false', () => {
    const path = 'attributes.nope.deeper';
    for (const op of ['eq', 'gt', 'gte', 'lt', 'lte', 'contains'] as const) {
      expect(ev({ path, op, value: 1 })).toBe(false);
    }
    expect(ev({ path, op: 'in', value: [null, undefined, 1] })).toBe(false);
    expect(ev({ path, op: 'exists', value: true })).toBe(false);
    expect(ev({ path, op: 'ne', value: 1 })).toBe(true);
    expect(ev({ path, op: 'exists', value: false })).toBe(true);
    expect(ev({ path: 'products.7.price', op: 'exists', value: false })).toBe(true);
  });

  it('booleans compare only for equality', () => {
    expect(ev({ path: 'attributes.flag', op: 'eq', value: true })).toBe(true);
    expect(ev({ path: 'attributes.flag', op: 'eq', value: 'true' })).toBe(false);
    expect(ev({ path: 'attributes.flag', op: 'gt', value: 0 })).toBe(false);
  });

  it('combines and/or, nested', () => {
    const expr: FilterExpr = {
      and: [
        { path: 'location.countryCode', op: 'in', value: ['GB', 'IE'] },
        { or: [{ path: 'amount', op: 'gte', value: 100 }, { path: 'attributes.tags', op: 'contains', value: 'vip' }] },
      ],
    };
    expect(ev(expr)).toBe(true);
    expect(evaluateFilter(expr, makeEvent({ attributes: { tags: [] } }))).toBe(false);
    expect(evaluateFilter(expr, makeEvent({ amount: 150 }))).toBe(true);
    expect(evaluateFilter(expr, makeEvent({ amount: 150, location: { ...event.location, countryCode: 'FR' } }))).toBe(false);
  });

  it('empty and is true, empty or is false, null filter is true', () => {
    expect(ev({ and: [] })).toBe(true);
    expect(ev({ or: [] })).toBe(false);
    expect(evaluateFilter(null, event)).toBe(true);
  });

  it('an unknown op never matches', () => {
    const bogus = { path: 'amount', op: 'approx', value: 49 } as unknown as FilterExpr;
    expect(ev(bogus)).toBe(false);
  });

  it('a compiled filter gives the same answers on many events', () => {
    const f = compileFilter({ path: 'amount', op: 'gt', value: 10 });
    expect([5, 10, 11, 100].map((amount) => f(makeEvent({ amount })))).toEqual([false, false, true, true]);
  });
});

describe('validateFilter', () => {
  const leaf = { path: 'amount', op: 'gt', value: 1 };

  it('accepts a well-formed expression', () => {
    expect(validateFilter({ and: [leaf, { or: [{ path: 'attributes.plan', op: 'in', value: ['a'] }, { path: 'x', op: 'exists', value: false }] }] })).toEqual([]);
  });

  it('reports an unknown op with its location', () => {
    expect(validateFilter({ and: [leaf, { path: 'amount', op: 'approx', value: 1 }] })).toEqual([
      { at: 'and[1]', message: expect.stringContaining('unknown op "approx"') },
    ]);
  });

  it('reports in without an array, exists with a non-boolean, bad paths, groups mixed with leaves', () => {
    const problems = validateFilter({
      or: [
        { path: 'a', op: 'in', value: 'x' },
        { path: 'a', op: 'exists', value: 'yes' },
        { path: '', op: 'eq', value: 1 },
        { path: 'a..b', op: 'eq', value: 1 },
        { and: [leaf], path: 'a', op: 'eq' },
        { path: 'a', op: 'gt', value: [1] },
        { path: 'a', op: 'contains' },
        'nope',
      ],
    });
    expect(problems.map((p) => p.at)).toEqual(['or[0]', 'or[1]', 'or[2]', 'or[3]', 'or[4]', 'or[5]', 'or[6]', 'or[7]']);
  });

  it('reports nesting deeper than 5', () => {
    let deep: FilterExpr = leaf as FilterExpr;
    for (let i = 0; i < 4; i++) deep = { and: [deep] };
    expect(validateFilter(deep)).toEqual([]); // 4 groups + leaf = depth 5
    expect(validateFilter({ and: [deep] })).toEqual([{ at: '$', message: expect.stringContaining('deeper than 5') }]);
  });

  it('reports more than 50 nodes', () => {
    const ok = { or: Array.from({ length: MAX_FILTER_NODES - 1 }, () => leaf) };
    expect(validateFilter(ok)).toEqual([]);
    const big = { or: Array.from({ length: MAX_FILTER_NODES }, () => leaf) };
    expect(validateFilter(big)).toEqual([{ at: '$', message: expect.stringContaining('more than 50 nodes') }]);
  });

  it('reports empty groups and non-array groups', () => {
    expect(validateFilter({ and: [] })).toHaveLength(1);
    expect(validateFilter({ or: leaf })).toEqual([{ at: '$', message: '"or" must be an array' }]);
  });
});
