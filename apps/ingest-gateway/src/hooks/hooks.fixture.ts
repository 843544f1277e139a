// Test fixtures shared by the hooks/ unit specs (hooks.handler.spec.ts, ingest.service.spec.ts).
import type { SourceSnapshot } from '@hookstream/contracts';
import { hashToken } from '@hookstream/webhooks';
import type { SourceCache } from '../config-cache/source.cache';
import { GatewayError } from './gateway.errors';

/** An enabled activly source `src_1` of `acc_1` whose token is `hst_good`, unsigned, no dedupe. */
export function source(over: Partial<SourceSnapshot> = {}): SourceSnapshot {
  return {
    kind: 'source', id: 'src_1', accountId: 'acc_1', name: 'shop', dialect: 'activly', enabled: true,
    tokens: [{ hash: hashToken('hst_good'), expiresAt: null }], signature: { kind: 'none' }, dedupe: null, rateLimitPerSecond: null,
    initiatedFrom: 'api', listId: null, version: 1, updatedAt: '2026-01-01T00:00:00Z', ...over,
  };
}

/** A source cache that knows exactly these sources (the real one learns them from the config topic). */
export function sourceCacheOf(sources: SourceSnapshot[]): SourceCache {
  const byId = new Map(sources.map((s) => [s.id, s]));
  return { get: (id: string) => byId.get(id) } as unknown as SourceCache;
}

/** The GatewayError `fn` throws; fails the test when it returns or throws something else. */
export function caught(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

/** The GatewayError `p` rejects with; fails the test when it resolves or rejects with something else. */
export async function refusal(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}
