import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { IdPrefix, newId, newTraceparent, Topics, type InitiatedFrom, type RawEventDto, type SourceDialect } from '@hookstream/contracts';
import { DataSource } from '@hookstream/db';
import { EVENT_PRODUCER, ProducerUnavailableError, type EventProducer } from '@hookstream/kafka';
import { normaliseRaw } from '@hookstream/dialects';
import { ApiError, ApiErrorCode } from '../common/api-error';
import type { DryRunVerdictView, TestEventView } from '../feed/feed.dto';
import { SourcesRepository } from '../sources/sources.repository';
import { samplePayload, TEST_EVENT_USER_AGENT } from './sample-payloads';

/**
 * "Send test event": publishes a raw event to events.raw exactly as the gateway would for this
 * source, so it runs through the real pipeline (validation, dedupe, enrichment, automations,
 * deliveries) and shows up in the feed. Marked by its user-agent. The answer carries the dry-run
 * verdict (what the validator will say), so the dashboard can show it at once.
 */
@Injectable()
export class TestEventsService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    private readonly sources: SourcesRepository,
  ) {}

  async send(accountId: string, sourceId: string, now = new Date()): Promise<TestEventView> {
    const source = await this.sources.find(this.ds.manager, accountId, sourceId);
    if (!source.enabled) throw new ApiError(ApiErrorCode.conflict, `source ${sourceId} is disabled; enable it to receive events`, HttpStatus.CONFLICT);
    const id = newId(IdPrefix.event, now.getTime());
    const payload = samplePayload(source.dialect as SourceDialect, now);
    const raw: RawEventDto = {
      id,
      accountId,
      sourceId,
      receivedAt: now.toISOString(),
      contentType: payload.contentType,
      headers: { 'user-agent': TEST_EVENT_USER_AGENT },
      body: payload.body,
      clientIp: null,
      // Every click is a new test event: never deduplicated against the previous one.
      idempotencyKey: id,
      dialect: source.dialect as SourceDialect,
      initiatedFrom: source.initiatedFrom as InitiatedFrom,
      batch: false,
      dedupe: source.dedupe,
    };
    // The gateway's dry run (`?dry_run=true`) is exactly this check.
    const n = normaliseRaw(raw);
    const verdict: DryRunVerdictView = n.ok ? { valid: true, dialect: n.dialect, type: n.event.type } : { valid: false, dialect: n.dialect, reasons: n.reasons.map((r) => ({ path: r.path, rule: r.rule, message: r.message })) };
    try {
      await this.producer.send(Topics.eventsRaw, [
        { key: sourceId, value: raw, envelope: { id, type: 'hookstream.event.received', source: `/sources/${sourceId}`, time: raw.receivedAt, traceparent: newTraceparent() } },
      ]);
    } catch (err) {
      if (err instanceof ProducerUnavailableError) {
        throw new ApiError(ApiErrorCode.eventLogUnavailable, 'the event log is unavailable; nothing was sent, try again', HttpStatus.SERVICE_UNAVAILABLE);
      }
      throw err;
    }
    return { id, verdict };
  }
}
