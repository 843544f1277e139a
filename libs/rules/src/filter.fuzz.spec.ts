import fc from 'fast-check';
import { compileFilter, FILTER_OPS, validateFilter } from './filter';

// `npm run fuzz` sets FUZZ_RUNS=100000; the unit run uses a few hundred so CI stays fast.
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);

const PATHS = ['type', 'amount', 'currency', 'person.email', 'location.countryCode', 'attributes.tags', 'products.0.price', 'attributes.x.y', 'constructor', '__proto__.x', 'a..b', ''];
const scalar = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('2026-02-28T14:30:00Z', '49', '1e400', 'NaN', 'US'));
const leaf = fc.record({
  path: fc.oneof(fc.constantFrom(...PATHS), fc.string()),
  op: fc.oneof(fc.constantFrom(...FILTER_OPS), fc.string()),
  value: fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.anything()),
}, { requiredKeys: [] });
/** Well-formed and malformed expressions, up to hostile depths. */
const expr: fc.Arbitrary<unknown> = fc.oneof(
  fc.letrec((tie) => ({
    e: fc.oneof({ depthSize: 'small' }, leaf, fc.record({ and: fc.array(tie('e'), { maxLength: 4 }) }), fc.record({ or: fc.array(tie('e'), { maxLength: 4 }) })),
  })).e,
  fc.anything(),
  fc.nat(20_000).map((depth) => {
    let e: unknown = { path: 'type', op: 'eq', value: 'purchase' };
    for (let i = 0; i < depth; i++) e = { and: [e] };
    return e;
  }),
);
const event = fc.oneof(
  fc.record({ type: scalar, amount: scalar, person: fc.record({ email: scalar }), attributes: fc.dictionary(fc.string(), fc.jsonValue()), products: fc.array(fc.record({ price: scalar })) }, { requiredKeys: [] }),
  fc.object(),
);

describe(`fuzz: the rule filter (${RUNS} runs per property)`, () => {
  it('validateFilter never throws on any input and answers a list of problems', () => {
    fc.assert(fc.property(expr, (e) => {
      const problems = validateFilter(e);
      expect(Array.isArray(problems)).toBe(true);
    }), { numRuns: RUNS });
  });

  it('a filter that validates compiles, and evaluates to a boolean on any event without throwing', () => {
    fc.assert(fc.property(expr, event, (e, ev) => {
      if (validateFilter(e).length > 0) return;
      const f = compileFilter(e as Parameters<typeof compileFilter>[0]);
      expect(typeof f(ev)).toBe('boolean');
    }), { numRuns: RUNS });
  });
});
