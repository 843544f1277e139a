import fc from 'fast-check';
import type { SourceDialect } from '@hookstream/contracts';
import { AC_EVENTS, acFormBody } from './activecampaign.samples';
import { dedupeKey } from './dedupe-key';
import { DIALECT_HANDLERS } from './detect';
import { FORBIDDEN_KEYS, FormBodyError, parseFormBody } from './form-body';
import { normaliseRaw } from './normalise';
import { rawEvent } from './raw-event.fixture';

// `npm run fuzz` sets FUZZ_RUNS=100000; the unit run uses a few hundred so CI stays fast.
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const FORM = 'application/x-www-form-urlencoded';

/** Keys the dialects look for, so generated objects hit their mapping code and not only `attributes`. */
const KEYS = [
  'event', 'type', 'first_name', 'firstName', 'lastName', 'last_name', 'name', 'email', 'Email', 'city', 'country', 'countryCode', 'state', 'stateCode',
  'product', 'products', 'productName', 'productLink', 'productImage', 'product_url', 'timestamp', 'date_time', 'initiated_from', 'initiated_by',
  'list', 'contact', 'deal', 'fields', 'tags', 'amount', 'total', 'price', 'currency', 'ip', 'guid', 'id', 'event_id', 'quantity', 'items',
  '__proto__', 'constructor', 'prototype', 'toString', '',
];

const scalar = fc.oneof(
  fc.string(), fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.constantFrom('2026-02-28T14:30:00Z', '1700000000000', '1700000000', '2013-01-01 12:00:00 -05:00', 'purchase', 'subscribe', 'a@b.co', '€1,299.50', 'US', 'Texas', '127.0.0.1', '::1', '1e400', '-0', 'NaN'),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 5 }), fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('v'), { maxKeys: 8 })),
})).v;
const body = fc.oneof(
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), value, { maxKeys: 14 }),
  fc.jsonValue(),
  value,
);
/** Form bodies: random strings over the form alphabet, and mutated real ActiveCampaign posts. */
const formText = fc.oneof(
  fc.stringMatching(/^[a-z0-9_[\]=&%+.]{0,120}$/),
  fc.tuple(fc.constantFrom(...AC_EVENTS), fc.nat(4000), fc.string()).map(([e, at, junk]) => {
    const t = acFormBody(e);
    const i = at % (t.length + 1);
    return t.slice(0, i) + junk + t.slice(i);
  }),
);
const dialectName = fc.constantFrom<SourceDialect>('auto', 'activly', 'provesource', 'activecampaign', 'generic');

function checkOutcome(raw: ReturnType<typeof rawEvent>): void {
  const r = normaliseRaw(raw);
  if (r.ok) {
    // Every later stage serialises the event and hashes it for dedupe: neither may throw.
    expect(typeof JSON.stringify(r.event)).toBe('string');
    expect(dedupeKey(raw, r.event)).toMatch(/^(idem|pid|sha256):/);
    expect(r.event.dialect).toBe(r.dialect);
  } else {
    expect(r.reasons.length).toBeGreaterThan(0);
    for (const reason of r.reasons) {
      expect(typeof reason.path).toBe('string');
      expect(typeof reason.rule).toBe('string');
      expect(typeof reason.message).toBe('string');
    }
  }
  for (const h of DIALECT_HANDLERS) {
    const c = h.detect(raw.body, raw.contentType);
    expect(c >= 0 && c <= 1).toBe(true);
  }
}

describe(`fuzz: every dialect (${RUNS} runs per property)`, () => {
  it('JSON bodies: normalise never throws; an accepted event serialises and gets a dedupe key, a refused one has reasons', () => {
    fc.assert(fc.property(body, dialectName, (b, dialect) => checkOutcome(rawEvent(b, { dialect }))), { numRuns: RUNS });
  });

  it('form bodies: parsed or refused with FormBodyError, then normalised without throwing', () => {
    fc.assert(fc.property(formText, dialectName, (text, dialect) => {
      let parsed: unknown;
      try {
        parsed = parseFormBody(text);
      } catch (err) {
        expect(err).toBeInstanceOf(FormBodyError);
        return;
      }
      checkOutcome(rawEvent(parsed, { dialect, contentType: FORM }));
    }), { numRuns: RUNS });
  });
});

describe(`fuzz: the form parser (${RUNS} runs)`, () => {
  it('never throws anything but FormBodyError; returns plain objects without forbidden or marker keys; pollutes nothing', () => {
    const anyText = fc.oneof(formText, fc.string({ unit: 'binary' }), fc.stringMatching(/^([a-z]{1,3}(\[[0-9a-z_]{0,7}\]){0,8}=[^&]{0,5}&){0,30}$/));
    fc.assert(fc.property(anyText, (text) => {
      let parsed: unknown;
      try {
        parsed = parseFormBody(text);
      } catch (err) {
        expect(err).toBeInstanceOf(FormBodyError);
        return;
      }
      const walk = (v: unknown): void => {
        if (typeof v === 'string') return;
        if (Array.isArray(v)) {
          v.forEach(walk);
          return;
        }
        expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
        for (const [k, child] of Object.entries(v as object)) {
          expect(FORBIDDEN_KEYS.has(k)).toBe(false);
          expect(k.includes('\uE000')).toBe(false);
          walk(child);
        }
      };
      walk(parsed);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    }), { numRuns: RUNS });
  });
});
