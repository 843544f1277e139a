import type { AttemptRow, DeliveryRow } from '@hookstream/delivery-store';
import type { AttemptView, DeliveryDetailView, DeliverySummary, EventDeliveryView } from './deliveries.dto';
import { isoOrNull } from '../common/iso-time';

/** Its endpoint and where it stands: what every view of a delivery shows. */
function deliveryState(d: DeliveryRow): Omit<EventDeliveryView, 'attemptLog'> {
  return {
    id: d.id,
    endpointId: d.endpoint_id,
    endpointUrl: d.endpoint_url,
    status: d.status,
    attempts: d.attempts,
    lastHttpStatus: d.last_http_status,
    lastError: d.last_error,
    nextAttemptAt: isoOrNull(d.next_attempt_at),
  };
}

/** The delivery's attempts, in the order given; `attempts` may hold other deliveries' too. */
function attemptLog(d: DeliveryRow, attempts: AttemptRow[]): AttemptView[] {
  return attempts
    .filter((a) => a.delivery_id === d.id)
    .map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      httpStatus: a.http_status,
      latencyMs: a.latency_ms,
      error: a.error,
      attemptedAt: new Date(a.attempted_at).toISOString(),
      responseBody: a.response_body,
    }));
}

/** A row of the deliveries list. */
export function deliverySummary(d: DeliveryRow): DeliverySummary {
  return {
    ...deliveryState(d),
    webhookId: d.webhook_id,
    eventId: d.event_id,
    eventType: d.event_type,
    createdAt: new Date(d.created_at).toISOString(),
  };
}

/** A delivery's detail page: the list row with its attempt log. */
export function deliveryDetail(d: DeliveryRow, attempts: AttemptRow[]): DeliveryDetailView {
  return { ...deliverySummary(d), attemptLog: attemptLog(d, attempts) };
}

/** A delivery with its attempt log, as an event's story (feed) shows it. */
export function deliveryView(d: DeliveryRow, attempts: AttemptRow[]): EventDeliveryView {
  return { ...deliveryState(d), attemptLog: attemptLog(d, attempts) };
}
