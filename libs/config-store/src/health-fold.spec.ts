import type { AttemptOutcome, DeliveryResultDto } from '@hookstream/contracts';
import { failingTooLong, foldResults } from './health-fold';

function result(endpointId: string, outcome: AttemptOutcome, attemptedAt: string): DeliveryResultDto {
  return { deliveryId: 'dlv_1', webhookId: 'msg_1', accountId: 'acc_1', endpointId, eventId: 'evt_1', eventType: 'purchase', attempt: 1, outcome, latencyMs: 5, attemptedAt };
}

describe('foldResults', () => {
  it('restarts the failure streak at the first failure after the last success', () => {
    const { deltas } = foldResults([
      result('ep_a', 'failed', '2026-03-01T00:00:00.000Z'),
      result('ep_a', 'succeeded', '2026-03-01T01:00:00.000Z'),
      result('ep_a', 'failed', '2026-03-01T02:00:00.000Z'),
      result('ep_a', 'exhausted', '2026-03-01T03:00:00.000Z'),
    ]);
    expect(deltas).toEqual([
      { endpointId: 'ep_a', accountId: 'acc_1', lastSuccessAt: '2026-03-01T01:00:00.000Z', lastFailureAt: '2026-03-01T03:00:00.000Z', failingSince: '2026-03-01T02:00:00.000Z' },
    ]);
  });

  it('has no streak when the last attempt succeeded, and ignores skipped attempts', () => {
    const { deltas } = foldResults([
      result('ep_b', 'failed', '2026-03-01T00:00:00.000Z'),
      result('ep_b', 'succeeded', '2026-03-01T01:00:00.000Z'),
      result('ep_c', 'skipped', '2026-03-01T01:00:00.000Z'),
    ]);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]).toMatchObject({ endpointId: 'ep_b', failingSince: null, lastFailureAt: '2026-03-01T00:00:00.000Z' });
  });

  it('reports every 410 as gone and counts it as a failure', () => {
    const { deltas, gone } = foldResults([result('ep_d', 'endpoint_disabled', '2026-03-01T00:00:00.000Z')]);
    expect(gone).toEqual([{ endpointId: 'ep_d', accountId: 'acc_1', attemptedAt: '2026-03-01T00:00:00.000Z' }]);
    expect(deltas[0].failingSince).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('failingTooLong', () => {
  const now = new Date('2026-03-10T00:00:00Z');
  it('is true from exactly N days of failing on', () => {
    expect(failingTooLong(new Date('2026-03-05T00:00:00Z'), now, 5)).toBe(true);
    expect(failingTooLong(new Date('2026-03-05T00:00:01Z'), now, 5)).toBe(false);
    expect(failingTooLong(null, now, 5)).toBe(false);
  });
});
