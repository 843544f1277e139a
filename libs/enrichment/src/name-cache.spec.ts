import { configureNameCache, DEFAULT_NAME_CACHE_BYTES, nameCacheStats, normaliseName } from './countries';

describe('name normalisation cache (bounded by bytes)', () => {
  afterEach(() => configureNameCache({ maxBytes: DEFAULT_NAME_CACHE_BYTES }));

  it('never counts more bytes than its budget, however long and varied the payload text', () => {
    configureNameCache({ maxBytes: 64 * 1024 });
    // 5,000 distinct values of ~210 characters: ~4.5 MB if all were kept (a count bound of 10,000 would).
    for (let i = 0; i < 5000; i++) normaliseName(`Somewhere ${i} ${'x'.repeat(200)}`);
    const s = nameCacheStats();
    expect(s.maxBytes).toBe(64 * 1024);
    expect(s.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(s.entries).toBeGreaterThan(0);
    expect(s.entries).toBeLessThan(5000);
  });

  it('does not cache one value larger than 1/64 of the budget, and still normalises it', () => {
    configureNameCache({ maxBytes: 64 * 1024 });
    normaliseName('United Kingdom');
    const before = nameCacheStats();
    const huge = `The  Ünited   Kingdom ${'y'.repeat(600)}`;
    expect(normaliseName(huge)).toBe(`united kingdom ${'y'.repeat(600)}`);
    expect(nameCacheStats()).toEqual(before);
    // The hot entry is still there after the big one went by.
    expect(normaliseName('United Kingdom')).toBe('united kingdom');
    expect(nameCacheStats().entries).toBe(before.entries);
  });

  it('keeps recently used names while cold ones are evicted', () => {
    configureNameCache({ maxBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i++) {
      normaliseName('Österreich');
      normaliseName(`cold value number ${i} ${'z'.repeat(100)}`);
    }
    const entries = nameCacheStats().entries;
    normaliseName('Österreich');
    expect(nameCacheStats().entries).toBe(entries);
  });

  it('refuses a budget that is not a whole number of at least 64 KiB', () => {
    expect(() => configureNameCache({ maxBytes: 1000 })).toThrow(/at least 65536/);
    expect(() => configureNameCache({ maxBytes: 1.5e6 + 0.5 })).toThrow(RangeError);
  });
});
