/** Request headers as Node, Fastify and fetch-style adapters hand them over. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Case-insensitive header lookup. A repeated header yields its first value: a signature
 * header sent twice is ambiguous, and taking the first keeps verification deterministic.
 */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = headers[key];
    const first = typeof value === 'string' ? value : value?.[0];
    if (first !== undefined) return first;
  }
  return undefined;
}
