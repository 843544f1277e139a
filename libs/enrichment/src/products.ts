import type { ProductDto } from '@hookstream/contracts';

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** Numbers and plain numeric strings ("55", " 12.50 ", "-3") → number; anything else (NaN, "$5", "1,5") → null. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const raw = text(value);
  if (raw === null || !/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw)) return null;
  const parsed = Number(raw);
  return Number.isFinite(parsed) ? parsed : null;
}

function idOf(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  return text(value);
}

/** A product-like object → ProductDto: ids as strings, price/quantity as numbers, blanks as null. */
export function normaliseProduct(value: unknown): ProductDto | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  return {
    id: idOf(v['id']),
    name: text(v['name']),
    link: text(v['link']),
    image: text(v['image']),
    price: toNumber(v['price']),
    quantity: toNumber(v['quantity']),
  };
}

export function normaliseProducts(values: unknown): ProductDto[] {
  if (!Array.isArray(values)) return [];
  return values.map(normaliseProduct).filter((p): p is ProductDto => p !== null);
}

/**
 * ProveSource's rule: "if the products have price the most expensive one is displayed,
 * otherwise the first one". Ties keep the earlier product; products without a price never
 * beat one with a price.
 */
export function pickProduct(products: readonly ProductDto[]): ProductDto | null {
  let best: ProductDto | null = null;
  for (const product of products) {
    if (product.price === null) continue;
    if (best === null || (best.price !== null && product.price > best.price)) best = product;
  }
  return best ?? products[0] ?? null;
}
