import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from '@hookstream/db';
import { EVENT_PRODUCER, ProducerUnavailableError, RawJson, REPLAY_HEADERS, type EventProducer } from '@hookstream/kafka';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { decodeKeysetCursor, toKeysetPage } from '../common/keyset-cursor';
import { pageLimit, type Page } from '../common/pagination';
import type { DlqMessageDetailView, DlqMessageView, DlqQueryDto } from './dlq.dto';
import { DlqRepository, type DlqFilter, type DlqRow } from '@hookstream/dlq-store';
import { isoOrNull } from '../common/iso-time';

/**
 * Who acts and on what: a tenant's admin API key sees and handles its own account's dead letters
 * only (`accountId` set); the CLI (an operator with the deployment's credentials) sees all,
 * including those whose account cannot be read from the message.
 */
export interface DlqActor {
  accountId?: string;
  /** Recorded as `handled_by`: an API key id, or `cli:<user>`. */
  by: string;
}

export function dlqView(r: DlqRow): DlqMessageView {
  return {
    id: r.id,
    dlq: { topic: r.dlq_topic, partition: r.dlq_partition, offset: r.dlq_offset },
    topic: r.source_topic,
    group: r.consumer_group,
    error: r.error,
    attempts: r.attempts,
    failedAt: isoOrNull(r.failed_at),
    key: r.message_key,
    state: r.state,
    handledAt: isoOrNull(r.handled_at),
    handledBy: r.handled_by,
    reason: r.reason,
    replayedTo: r.replayed_to,
    recordedAt: new Date(r.recorded_at).toISOString(),
  };
}

@Injectable()
export class DlqService {
  private readonly log = new Logger('DlqService');

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(EVENT_PRODUCER) private readonly producer: EventProducer,
    private readonly repo: DlqRepository,
  ) {}

  async list(actor: DlqActor, q: DlqQueryDto): Promise<Page<DlqMessageView>> {
    const limit = pageLimit(q);
    const filter: DlqFilter = { accountId: actor.accountId, sourceTopic: q.topic, consumerGroup: q.group, state: q.state ?? 'pending' };
    const rows = await this.repo.list(filter, limit + 1, decodeKeysetCursor(q.cursor));
    return toKeysetPage(rows, limit, (r) => ({ at: r.cursor_at, id: r.id }), dlqView);
  }

  async get(actor: DlqActor, id: string): Promise<DlqMessageDetailView> {
    const r = await this.repo.get(id, actor.accountId);
    if (!r) throw ApiError.notFound('dead letter', id);
    return { ...dlqView(r), value: r.value ? r.value.toString('utf8') : null, headers: r.headers };
  }

  /**
   * Sends the dead letter back to its original topic, addressed to the consumer group that gave up
   * (`hookstream_replay_group`: the other groups of that topic commit past it unread), with its key,
   * value bytes and headers. The row is claimed first, in the same transaction as the awaited
   * produce: if Kafka does not acknowledge, nothing is recorded and it can be replayed again; once
   * committed it is `replayed` and a second replay answers 409.
   */
  async replay(actor: DlqActor, id: string): Promise<DlqMessageView> {
    try {
      return await this.ds.transaction(async (em) => {
        const current = await this.repo.get(id, actor.accountId);
        if (!current) throw ApiError.notFound('dead letter', id);
        if (current.consumer_group === null) {
          throw new ApiError(
            ApiErrorCode.conflict,
            'this dead letter does not name the consumer group that failed (written before groups were recorded); replaying it would reach every group of the topic. Discard it, or re-send the event from its source',
            HttpStatus.CONFLICT,
          );
        }
        const row = await this.repo.claim(em, id, actor.accountId, { state: 'replayed', by: actor.by, reason: null, replayedTo: `${current.source_topic} for group ${current.consumer_group}` });
        if (!row) throw this.alreadyHandled(current);
        await this.producer.send(row.source_topic, [
          {
            key: row.message_key,
            value: row.value ? new RawJson(row.value) : null,
            headers: { ...row.headers, [REPLAY_HEADERS.group]: row.consumer_group as string, [REPLAY_HEADERS.of]: `${row.dlq_topic}/${row.dlq_partition}/${row.dlq_offset}` },
          },
        ]);
        this.log.log({ msg: 'dead letter replayed', id, topic: row.source_topic, group: row.consumer_group, by: actor.by });
        return dlqView(row);
      });
    } catch (err) {
      if (err instanceof ProducerUnavailableError) {
        throw new ApiError(ApiErrorCode.kafkaUnavailable, 'Kafka did not acknowledge the replay; nothing was changed, try again', HttpStatus.SERVICE_UNAVAILABLE);
      }
      throw err;
    }
  }

  /** Marks the dead letter discarded, with who, when and why; it can no longer be replayed. */
  async discard(actor: DlqActor, id: string, reason: string): Promise<DlqMessageView> {
    return this.ds.transaction(async (em) => {
      const row = await this.repo.claim(em, id, actor.accountId, { state: 'discarded', by: actor.by, reason, replayedTo: null });
      if (row) {
        this.log.log({ msg: 'dead letter discarded', id, topic: row.source_topic, group: row.consumer_group, by: actor.by, reason });
        return dlqView(row);
      }
      const current = await this.repo.get(id, actor.accountId);
      if (!current) throw ApiError.notFound('dead letter', id);
      throw this.alreadyHandled(current);
    });
  }

  private alreadyHandled(r: DlqRow): ApiError {
    return new ApiError(ApiErrorCode.conflict, `this dead letter was already ${r.state} (${isoOrNull(r.handled_at)} by ${r.handled_by}); it is handled once`, HttpStatus.CONFLICT);
  }
}
