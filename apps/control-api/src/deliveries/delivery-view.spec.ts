import type { AttemptRow, DeliveryRow } from '@hookstream/delivery-store';
import { deliveryDetail, deliverySummary, deliveryView } from './delivery-view';

const row: DeliveryRow = {
  id: 'dlv_1', webhook_id: 'msg_1', account_id: 'acc_1', endpoint_id: 'ep_1', event_id: 'evt_1', event_type: 'purchase',
  status: 'failed', attempts: 1, next_attempt_at: new Date('2026-02-28T14:31:00Z'), last_http_status: 500, last_error: 'HTTP 500',
  created_at: new Date('2026-02-28T14:30:00Z'), cursor_at: '2026-02-28 14:30:00.000000+00', updated_at: new Date('2026-02-28T14:30:01Z'),
  endpoint_url: 'https://example.com/hook',
};
const attempt = (delivery_id: string, n: number): AttemptRow => ({
  delivery_id, attempt: n, outcome: 'failed', http_status: 500, latency_ms: 12, error: 'HTTP 500', response_body: 'oops', attempted_at: new Date('2026-02-28T14:30:00.5Z'),
});

describe('delivery views', () => {
  const attempts = [attempt('dlv_1', 1), attempt('dlv_other', 1), attempt('dlv_1', 2)];

  it('the list row, the detail and the event story show the same state of the delivery', () => {
    const summary = deliverySummary(row);
    expect(summary).toEqual({
      id: 'dlv_1', webhookId: 'msg_1', eventId: 'evt_1', eventType: 'purchase', endpointId: 'ep_1', endpointUrl: 'https://example.com/hook',
      status: 'failed', attempts: 1, lastHttpStatus: 500, lastError: 'HTTP 500', nextAttemptAt: '2026-02-28T14:31:00.000Z', createdAt: '2026-02-28T14:30:00.000Z',
    });
    const { webhookId: _w, eventId: _e, eventType: _t, createdAt: _c, ...state } = summary;
    expect(deliveryView(row, attempts)).toEqual({ ...state, attemptLog: deliveryDetail(row, attempts).attemptLog });
    expect(deliverySummary({ ...row, next_attempt_at: null }).nextAttemptAt).toBeNull();
  });

  it("keeps only this delivery's attempts, in the order given", () => {
    const log = deliveryDetail(row, attempts).attemptLog;
    expect(log.map((a) => a.attempt)).toEqual([1, 2]);
    expect(log[0]).toEqual({ attempt: 1, outcome: 'failed', httpStatus: 500, latencyMs: 12, error: 'HTTP 500', attemptedAt: '2026-02-28T14:30:00.500Z', responseBody: 'oops' });
  });
});
