import type { ProductDto } from '@hookstream/contracts';
import { parseAmount, parseQuantity } from './amount';

export type Product = ProductDto;

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t === '' ? null : t;
}

function idOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return text(value);
}

export function emptyProduct(): Product {
  return { id: null, name: null, link: null, image: null, price: null, quantity: null };
}

/**
 * Lenient conversion of one product-like object (ProveSource's `products[]` item shape:
 * id, name, link, image, price, quantity). Ids become strings, prices and quantities numbers;
 * anything unreadable becomes null (validation, where a dialect wants it, happens before this).
 */
export function normaliseProduct(value: unknown): Product | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const price = v['price'] === undefined || v['price'] === null || v['price'] === '' ? null : parseAmount(v['price']);
  return {
    id: idOf(v['id']),
    name: text(v['name']),
    link: text(v['link']),
    image: text(v['image']),
    price: price !== null && price.ok ? price.amount : null,
    quantity: parseQuantity(v['quantity']),
  };
}

export function normaliseProducts(values: unknown): Product[] {
  if (!Array.isArray(values)) return [];
  const out: Product[] = [];
  for (const v of values) {
    const p = normaliseProduct(v);
    if (p !== null) out.push(p);
  }
  return out;
}

/**
 * ProveSource's rule: if any product has a price, the most expensive one (by unit price, not
 * price × quantity; the first on a tie); otherwise the first. Null for an empty list.
 */
export function pickProduct(products: readonly Product[]): Product | null {
  let best: Product | null = null;
  for (const p of products) {
    if (p.price !== null && (best === null || best.price === null || p.price > best.price)) best = p;
  }
  return best ?? products[0] ?? null;
}
