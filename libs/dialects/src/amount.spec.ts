import { parseAmount, parseQuantity } from './amount';

describe('parseAmount', () => {
  it('reads numbers and numeric strings', () => {
    expect(parseAmount(49)).toEqual({ ok: true, amount: 49, currency: null });
    expect(parseAmount(49.0)).toEqual({ ok: true, amount: 49, currency: null });
    expect(parseAmount('49.00')).toEqual({ ok: true, amount: 49, currency: null });
    expect(parseAmount('1,299.50')).toEqual({ ok: true, amount: 1299.5, currency: null });
    expect(parseAmount('1,000,000')).toEqual({ ok: true, amount: 1000000, currency: null });
    expect(parseAmount(' 0.5 ')).toEqual({ ok: true, amount: 0.5, currency: null });
    expect(parseAmount('-5.25')).toEqual({ ok: true, amount: -5.25, currency: null });
  });

  it('strips a currency symbol or code, reporting the currency when unambiguous', () => {
    expect(parseAmount('$49')).toEqual({ ok: true, amount: 49, currency: null });
    expect(parseAmount('€1,299.50')).toEqual({ ok: true, amount: 1299.5, currency: 'EUR' });
    expect(parseAmount('£ 10')).toEqual({ ok: true, amount: 10, currency: 'GBP' });
    expect(parseAmount('49 USD')).toEqual({ ok: true, amount: 49, currency: 'USD' });
    expect(parseAmount('49eur')).toEqual({ ok: true, amount: 49, currency: 'EUR' });
    expect(parseAmount('-$5')).toEqual({ ok: true, amount: -5, currency: null });
  });

  it('refuses what it cannot read for certain', () => {
    for (const bad of ['', 'lots', '1.299,50', '1,29', '12,34.5', '49.', '$49 USD', '49 apples', '--5', '1e3', Number.NaN, Infinity, null, [49], {}]) {
      expect(parseAmount(bad)).toEqual(expect.objectContaining({ ok: false, rule: 'isAmount' }));
    }
  });
});

describe('parseQuantity', () => {
  it('reads whole non-negative numbers', () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity('3')).toBe(3);
    expect(parseQuantity(0)).toBe(0);
  });
  it('refuses the rest', () => {
    for (const bad of [-1, 1.5, '1.5', 'two', '', null]) expect(parseQuantity(bad)).toBeNull();
  });
});
