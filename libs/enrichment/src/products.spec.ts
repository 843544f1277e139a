import type { ProductDto } from '@hookstream/contracts';
import { normaliseProduct, normaliseProducts, pickProduct, toNumber } from './products';

function product(name: string, price: number | null): ProductDto {
  return { id: null, name, link: null, image: null, price, quantity: null };
}

describe('toNumber', () => {
  it.each([
    [55, 55],
    ['55', 55],
    [' 12.50 ', 12.5],
    ['-3', -3],
    ['.5', 0.5],
  ])('%p → %p', (input, expected) => {
    expect(toNumber(input)).toBe(expected);
  });

  it.each([['$5'], ['1,5'], ['abc'], [''], [Number.NaN], [Number.POSITIVE_INFINITY], [null], [true]])('%p → null', (input) => {
    expect(toNumber(input)).toBeNull();
  });
});

describe('normaliseProduct', () => {
  it('turns ids into strings and numeric strings into numbers', () => {
    expect(
      normaliseProduct({ id: 123, name: ' T-Shirt ', link: 'https://mystore.com/t-shirt', image: '', price: '55', quantity: '2' }),
    ).toEqual({ id: '123', name: 'T-Shirt', link: 'https://mystore.com/t-shirt', image: null, price: 55, quantity: 2 });
  });

  it('keeps string ids and nulls unreadable fields', () => {
    expect(normaliseProduct({ id: 'sku-1', price: 'free', quantity: {} })).toEqual({
      id: 'sku-1', name: null, link: null, image: null, price: null, quantity: null,
    });
  });

  it('rejects non-objects', () => {
    expect(normaliseProduct('shoe')).toBeNull();
    expect(normaliseProduct([1])).toBeNull();
    expect(normaliseProduct(null)).toBeNull();
  });

  it('drops non-object items of a list and tolerates a non-list', () => {
    expect(normaliseProducts([{ name: 'a' }, 7, null]).map((p) => p.name)).toEqual(['a']);
    expect(normaliseProducts('nope')).toEqual([]);
  });
});

describe('pickProduct', () => {
  it('picks the most expensive product', () => {
    expect(pickProduct([product('cheap', 5), product('dear', 55), product('mid', 20)])?.name).toBe('dear');
  });

  it('keeps the first of equally expensive products', () => {
    expect(pickProduct([product('a', 10), product('b', 10)])?.name).toBe('a');
  });

  it('prefers any priced product over unpriced ones', () => {
    expect(pickProduct([product('unpriced', null), product('priced', 0)])?.name).toBe('priced');
  });

  it('falls back to the first product when none has a price', () => {
    expect(pickProduct([product('first', null), product('second', null)])?.name).toBe('first');
  });

  it('is null for no products', () => {
    expect(pickProduct([])).toBeNull();
  });
});
