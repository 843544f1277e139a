import { ISO_4217_CODES, isCurrencyCode, normaliseCurrency } from './currency';

describe('ISO_4217_CODES', () => {
  it('holds the circulating currencies, three upper-case letters each', () => {
    expect(ISO_4217_CODES.size).toBeGreaterThan(150);
    for (const code of ISO_4217_CODES) expect(code).toMatch(/^[A-Z]{3}$/);
    for (const code of ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'BRL', 'INR', 'XCG', 'VES', 'ZWG']) expect(isCurrencyCode(code)).toBe(true);
  });

  it('leaves out funds, metals, test codes and withdrawn currencies', () => {
    for (const code of ['XXX', 'XTS', 'XAU', 'USN', 'HRK', 'DEM', 'FRF']) expect(isCurrencyCode(code)).toBe(false);
  });

  it('agrees with the runtime ICU data except where documented', () => {
    // ICU still lists HRK; it lacks VED. Everything else in our list is known to ICU.
    const icu = new Set(Intl.supportedValuesOf('currency'));
    const ours = [...ISO_4217_CODES].filter((c) => !icu.has(c));
    expect(ours.every((c) => ['VED'].includes(c))).toBe(true);
  });
});

describe('normaliseCurrency', () => {
  it('upper-cases codes', () => {
    expect(normaliseCurrency(' usd ')).toEqual({ ok: true, code: 'USD' });
    expect(normaliseCurrency('GBP')).toEqual({ ok: true, code: 'GBP' });
  });

  it('maps unambiguous symbols', () => {
    expect(normaliseCurrency('€')).toEqual({ ok: true, code: 'EUR' });
    expect(normaliseCurrency('£')).toEqual({ ok: true, code: 'GBP' });
    expect(normaliseCurrency('US$')).toEqual({ ok: true, code: 'USD' });
    expect(normaliseCurrency('R$')).toEqual({ ok: true, code: 'BRL' });
  });

  it('refuses ambiguous symbols with an explanation', () => {
    const r = normaliseCurrency('$');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/several currencies/);
    expect(normaliseCurrency('¥').ok).toBe(false);
  });

  it('refuses unknown codes and non-strings', () => {
    for (const bad of ['ABC', 'dollars', '', 'US', 840, null]) expect(normaliseCurrency(bad)).toEqual(expect.objectContaining({ ok: false, rule: 'isISO4217' }));
  });
});
