import { normaliseProduct, normaliseProducts, pickProduct } from './products';

// Seed 002, "Multiple Products Parameters".
const SEED_TSHIRT = { name: 'T-Shirt', link: 'https://mystore.com/t-shirt', id: 123, image: 'https://mystore.com/images/t-shirt.png', price: 55, quantity: 2 };

describe('normaliseProduct', () => {
  it('normalises the seed product: id to string', () => {
    expect(normaliseProduct(SEED_TSHIRT)).toEqual({ ...SEED_TSHIRT, id: '123' });
  });
  it('reads form strings and nulls what it cannot read', () => {
    expect(normaliseProduct({ name: ' Mug ', price: '$12.50', quantity: '3', id: '' })).toEqual({
      id: null, name: 'Mug', link: null, image: null, price: 12.5, quantity: 3,
    });
    expect(normaliseProduct({ name: 'X', price: 'free', quantity: -2 })?.price).toBeNull();
    expect(normaliseProduct('T-Shirt')).toBeNull();
    expect(normaliseProducts([SEED_TSHIRT, 'x', null])).toHaveLength(1);
    expect(normaliseProducts('nope')).toEqual([]);
  });
});

describe('pickProduct', () => {
  const p = (name: string, price: number | null) => ({ id: null, name, link: null, image: null, price, quantity: null });

  it('picks the most expensive', () => {
    expect(pickProduct([p('a', 5), p('b', 50), p('c', 20)])?.name).toBe('b');
  });
  it('ignores unpriced products when any has a price', () => {
    expect(pickProduct([p('a', null), p('b', 1)])?.name).toBe('b');
  });
  it('keeps the first on a tie', () => {
    expect(pickProduct([p('a', 10), p('b', 10)])?.name).toBe('a');
  });
  it('falls back to the first when none has a price, and null when empty', () => {
    expect(pickProduct([p('a', null), p('b', null)])?.name).toBe('a');
    expect(pickProduct([])).toBeNull();
  });
});
