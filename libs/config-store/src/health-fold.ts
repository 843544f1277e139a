import type { HealthResult } from './delivery-result.check';

/** What one batch of results says about one endpoint. Times are ISO strings. */
export interface HealthDelta {
  endpointId: string;
  accountId: string;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  /** The first failure after the batch's last success (or the batch's first failure if none succeeded). */
  failingSince: string | null;
}

/** A 410 Gone: the receiver asked us to stop. */
export interface GoneSignal {
  endpointId: string;
  accountId: string;
  attemptedAt: string;
}

const FAILURES: ReadonlySet<string> = new Set(['failed', 'exhausted', 'endpoint_disabled']);

/**
 * Folds a batch of delivery results (one partition, so one endpoint's results are in order) into
 * per-endpoint health changes. `skipped` attempts (endpoint disabled or deleted on our side) say
 * nothing about the receiver and are ignored.
 */
export function foldResults(results: HealthResult[]): { deltas: HealthDelta[]; gone: GoneSignal[] } {
  const byEndpoint = new Map<string, HealthResult[]>();
  const gone: GoneSignal[] = [];
  for (const r of results) {
    if (r.outcome === 'endpoint_disabled') gone.push({ endpointId: r.endpointId, accountId: r.accountId, attemptedAt: r.attemptedAt });
    if (r.outcome !== 'succeeded' && !FAILURES.has(r.outcome)) continue;
    const list = byEndpoint.get(r.endpointId) ?? [];
    list.push(r);
    byEndpoint.set(r.endpointId, list);
  }
  const deltas: HealthDelta[] = [];
  for (const [endpointId, list] of byEndpoint) {
    const sorted = [...list].sort((a, b) => Date.parse(a.attemptedAt) - Date.parse(b.attemptedAt));
    let lastSuccessAt: string | null = null;
    let lastFailureAt: string | null = null;
    let failingSince: string | null = null;
    for (const r of sorted) {
      if (r.outcome === 'succeeded') {
        lastSuccessAt = r.attemptedAt;
        failingSince = null;
      } else {
        lastFailureAt = r.attemptedAt;
        failingSince ??= r.attemptedAt;
      }
    }
    deltas.push({ endpointId, accountId: sorted[0].accountId, lastSuccessAt, lastFailureAt, failingSince });
  }
  return { deltas, gone };
}

/** Svix's rule: failing without a single success for `days` days. */
export function failingTooLong(failingSince: Date | null, now: Date, days: number): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= days * 24 * 3600 * 1000;
}
