import { healthResultOf, healthResultProblems } from './delivery-result.check';

const result = {
  deliveryId: 'dlv_1', webhookId: 'wh_1', accountId: 'acc_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'purchase', attempt: 1,
  outcome: 'succeeded', httpStatus: 200, latencyMs: 12, error: null, nextAttemptAt: null, attemptedAt: '2026-03-01T12:00:00.123Z',
};

describe('delivery result check (endpoint health)', () => {
  it('accepts a result as delivery writes it and keeps only what the fold reads', () => {
    expect(healthResultProblems(result)).toEqual([]);
    expect(healthResultOf(result)).toEqual({ endpointId: 'ep_1', accountId: 'acc_1', outcome: 'succeeded', attemptedAt: '2026-03-01T12:00:00.123Z' });
    expect(healthResultProblems({ ...result, attemptedAt: '2026-03-01T13:00:00+01:00' })).toEqual([]);
  });

  it('names every problem of a result the fold cannot use', () => {
    expect(healthResultProblems(null)).toEqual(['a delivery result must be a JSON object']);
    expect(healthResultProblems([result])).toEqual(['a delivery result must be a JSON object']);
    const bad = healthResultProblems({ ...result, endpointId: '', accountId: 7, outcome: 'maybe', attemptedAt: 'yesterday' });
    expect(bad).toEqual([
      'endpointId must be a non-empty string',
      'accountId must be a non-empty string',
      'outcome must be one of succeeded, failed, exhausted, endpoint_disabled, skipped',
      'attemptedAt must be an ISO 8601 time',
    ]);
    expect(healthResultProblems({ ...result, attemptedAt: '2026-13-45T99:00:00Z' })).toEqual(['attemptedAt must be an ISO 8601 time']);
    const { endpointId: _dropped, ...noEndpoint } = result;
    expect(healthResultProblems(noEndpoint)).toEqual(['endpointId must be a non-empty string']);
  });
});
