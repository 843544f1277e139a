import type { AttemptRow, DeliveryRow } from '@hookstream/delivery-store';
import type { EventDeliveryView } from './deliveries.dto';

function iso(t: Date | string | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

/** A delivery with its attempt log, as an event's story (feed) and a delivery's detail (deliveries) show it. */
export function deliveryView(d: DeliveryRow, attempts: AttemptRow[]): EventDeliveryView {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    endpointUrl: d.endpoint_url,
    status: d.status,
    attempts: d.attempts,
    lastHttpStatus: d.last_http_status,
    lastError: d.last_error,
    nextAttemptAt: iso(d.next_attempt_at),
    attemptLog: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        outcome: a.outcome,
        httpStatus: a.http_status,
        latencyMs: a.latency_ms,
        error: a.error,
        attemptedAt: new Date(a.attempted_at).toISOString(),
        responseBody: a.response_body,
      })),
  };
}
