/** One line of a shop order, as webhook senders put them in a purchase. */
export interface LineItem {
  sku: string;
  title: string;
  price: number;
  quantity: number;
  vendor: string;
}

/**
 * Line items for event `seq` whose JSON array is at least `bytes` long (none for 0 or less): what
 * BENCH_PAYLOAD_BYTES / BENCH_FEED_PAYLOAD_BYTES add to the bench's purchase to make order-sized
 * bodies. The SKUs and sizes vary with `seq`, the shape does not.
 */
export function lineItems(seq: number, bytes: number): LineItem[] {
  const items: LineItem[] = [];
  let size = 2;
  for (let k = 0; size < bytes; k++) {
    const item = { sku: `SKU-${(seq * 7 + k) % 9973}`, title: `Running Shoes, model ${k}, size ${(seq + k) % 12}`, price: 49 + k, quantity: 1 + (k % 3), vendor: `Vendor ${k % 17}` };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return items;
}
