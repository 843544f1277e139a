import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { ACTIVLY_DEFAULT_DEDUPE, canonicalJson, dedupeKey, effectiveDedupeOptions, readPath, windowDedupeKey } from './dedupe-key';
import type { NormalisedEvent } from './dialect';
import { normaliseRaw } from './normalise';
import { rawEvent } from './raw-event.fixture';
import type { RawEventDto } from '@hookstream/contracts';

const ACTIVLY = {
  event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: '2026-02-28T14:30:00Z',
  email: 'sarah@example.com',
};

function normalised(raw: RawEventDto): NormalisedEvent {
  const r = normaliseRaw(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.reasons));
  return r.event;
}

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  /** The first implementation: stored dedupe keys hash its text, so the current one must give the same text for anything. */
  function firstCanonicalJson(value: unknown): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : firstCanonicalJson(v))).join(',')}]`;
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${firstCanonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }

  it('gives the same text as the first implementation (stored keys stay valid)', () => {
    // eslint-disable-next-line no-sparse-arrays -- a hole, as a hand-built array may have
    const odd: unknown[] = [{ b: undefined, a: [1, , undefined, 'x'] }, Symbol('s'), () => 1, new Date(0), { __proto__: null, z: 1n === 1n }, '\u2028"\\'];
    for (const v of odd) expect(canonicalJson(v)).toBe(firstCanonicalJson(v));
    fc.assert(fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withSparseArray: true, withDate: true }), (v) => {
      expect(canonicalJson(v)).toBe(firstCanonicalJson(v));
    }), { numRuns: 1000 });
    const event = normalised(rawEvent(ACTIVLY));
    expect(canonicalJson(event)).toBe(firstCanonicalJson(event));
  });
});

describe('dedupe key hashes', () => {
  it('are SHA-256 hex of the same text as before (node:crypto hash = createHash)', () => {
    const raw = rawEvent(ACTIVLY);
    const event = normalised(raw);
    const { id: _id, receivedAt: _r, ...content } = event;
    const before = createHash('sha256').update(`${raw.sourceId}\u0000${canonicalJson(content)}`).digest('hex');
    expect(dedupeKey(raw, event)).toBe(`sha256:${before}`);
    // Pinned (computed by the first implementation): a change here would make every stored content key miss after an upgrade.
    expect(dedupeKey(raw, event)).toBe('sha256:6326fdc95149f21b412924a840d302f525eee05f5101c23d9333368c0d4ed2af');
  });
});

describe('dedupeKey', () => {
  it('uses the idempotency key first', () => {
    const raw = rawEvent({ ...ACTIVLY, id: 'p1' }, { idempotencyKey: ' msg_123 ' });
    expect(dedupeKey(raw, normalised(raw))).toBe('idem:msg_123');
  });

  it('uses an explicit payload event id next', () => {
    for (const [field, value, key] of [['id', 'p1', 'pid:p1'], ['event_id', 77, 'pid:77'], ['eventId', 'e-9', 'pid:e-9']] as const) {
      const raw = rawEvent({ ...ACTIVLY, [field]: value });
      expect(dedupeKey(raw, normalised(raw))).toBe(key);
    }
  });

  it('never uses a payload id for ActiveCampaign', () => {
    const raw = rawEvent({ type: 'subscribe', id: '5', contact: { id: '9', email: 'a@example.com' } }, { dialect: 'activecampaign' });
    expect(dedupeKey(raw, normalised(raw))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('hashes the content otherwise: equal for a retry, different for different content or source', () => {
    const first = rawEvent(ACTIVLY);
    const retry = rawEvent({ ...ACTIVLY }, { id: 'evt_0other000000000000000000', receivedAt: '2026-02-28T14:31:00.000Z' });
    const other = rawEvent({ ...ACTIVLY, product: 'Socks' });
    const elsewhere = rawEvent(ACTIVLY, { sourceId: 'src_2' });
    const k1 = dedupeKey(first, normalised(first));
    expect(k1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(dedupeKey(retry, normalised(retry))).toBe(k1);
    expect(dedupeKey(other, normalised(other))).not.toBe(k1);
    expect(dedupeKey(elsewhere, normalised(elsewhere))).not.toBe(k1);
  });

  it('does not match content without a payload time received at different moments', () => {
    const a = rawEvent({ email: 'x@example.com', firstName: 'X' });
    const b = rawEvent({ email: 'x@example.com', firstName: 'X' }, { receivedAt: '2026-02-28T15:00:00.000Z' });
    expect(dedupeKey(a, normalised(a))).not.toBe(dedupeKey(b, normalised(b)));
  });
});

describe('windowDedupeKey', () => {
  const base = normalised(rawEvent(ACTIVLY));
  const at = (occurredAt: string, email: string | null = 'sarah@example.com'): NormalisedEvent => ({
    ...base,
    occurredAt,
    person: { ...base.person, email },
  });

  it('matches the same values in the same bucket', () => {
    const k = windowDedupeKey(at('2026-02-28T14:10:00.000Z'), ACTIVLY_DEFAULT_DEDUPE, 'src_1');
    expect(k).toMatch(/^win:[0-9a-f]{64}$/);
    expect(windowDedupeKey(at('2026-02-28T14:59:59.999Z'), ACTIVLY_DEFAULT_DEDUPE, 'src_1')).toBe(k);
  });

  it('differs across buckets, values, fields and sources', () => {
    const k = windowDedupeKey(at('2026-02-28T14:10:00.000Z'), ACTIVLY_DEFAULT_DEDUPE, 'src_1');
    expect(windowDedupeKey(at('2026-02-28T15:00:00.000Z'), ACTIVLY_DEFAULT_DEDUPE, 'src_1')).not.toBe(k);
    expect(windowDedupeKey(at('2026-02-28T14:10:00.000Z', 'other@example.com'), ACTIVLY_DEFAULT_DEDUPE, 'src_1')).not.toBe(k);
    expect(windowDedupeKey(at('2026-02-28T14:10:00.000Z'), { fields: ['person.email', 'type'], windowSeconds: 3600 }, 'src_1')).not.toBe(k);
    expect(windowDedupeKey(at('2026-02-28T14:10:00.000Z'), ACTIVLY_DEFAULT_DEDUPE, 'src_2')).not.toBe(k);
  });

  it('is null when a field is missing', () => {
    expect(windowDedupeKey(at('2026-02-28T14:10:00.000Z', null), ACTIVLY_DEFAULT_DEDUPE, 'src_1')).toBeNull();
    expect(windowDedupeKey(base, { fields: ['product.id'], windowSeconds: 60 }, 'src_1')).toBeNull();
  });

  it('reads nested and indexed paths', () => {
    expect(readPath({ products: [{ name: 'a' }, { name: 'b' }] }, 'products[1].name')).toBe('b');
    expect(readPath(base, 'location.countryCode')).toBe('GB');
    expect(readPath(base, 'person.nope.deeper')).toBeUndefined();
  });

  it('refuses a non-positive window', () => {
    expect(() => windowDedupeKey(base, { fields: ['type'], windowSeconds: 0 }, 'src_1')).toThrow(RangeError);
  });
});

describe('effectiveDedupeOptions', () => {
  it('applies the Activly default only when the source has none', () => {
    const own = { fields: ['type'], windowSeconds: 10 };
    expect(effectiveDedupeOptions(own, 'activly')).toBe(own);
    expect(effectiveDedupeOptions(null, 'activly')).toEqual({ fields: ['person.email'], windowSeconds: 3600 });
    expect(effectiveDedupeOptions(null, 'provesource')).toBeNull();
  });
});
