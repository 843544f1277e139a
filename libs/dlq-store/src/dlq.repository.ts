import { Inject, Injectable } from '@nestjs/common';
import { DataSource, keysetTime, type EntityManager, type KeysetPosition } from '@hookstream/db';
import type { DlqRecord } from './dlq-record';

export type DlqState = 'pending' | 'replayed' | 'discarded';
export const DLQ_STATES: readonly DlqState[] = ['pending', 'replayed', 'discarded'];

export interface DlqRow {
  id: string;
  dlq_topic: string;
  dlq_partition: number;
  dlq_offset: string;
  source_topic: string;
  consumer_group: string | null;
  error: string | null;
  attempts: number | null;
  failed_at: Date | null;
  account_id: string | null;
  message_key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  state: DlqState;
  handled_at: Date | null;
  handled_by: string | null;
  reason: string | null;
  replayed_to: string | null;
  recorded_at: Date;
  cursor_at: string;
}

export interface DlqFilter {
  /** undefined = every account (operators, CLI); a tenant's API calls always set it. */
  accountId?: string;
  sourceTopic?: string;
  consumerGroup?: string;
  state?: DlqState;
}

const COLUMNS = `id, dlq_topic, dlq_partition, dlq_offset::text AS dlq_offset, source_topic, consumer_group, error, attempts, failed_at, account_id,
  message_key, value, headers, state, handled_at, handled_by, reason, replayed_to, recorded_at, ${keysetTime('recorded_at')} AS cursor_at`;

/** `dlq_messages`: apps/projector records dead letters (`DlqRecorderService`), control-api lists, replays and discards them. */
@Injectable()
export class DlqRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  /** Idempotent: a dead letter already recorded (redelivered to the recorder) is left as it is. */
  async record(rows: (DlqRecord & { id: string })[]): Promise<void> {
    if (rows.length === 0) return;
    const json = rows.map((r) => ({
      id: r.id, dlq_topic: r.dlqTopic, dlq_partition: r.dlqPartition, dlq_offset: r.dlqOffset, source_topic: r.sourceTopic, consumer_group: r.consumerGroup,
      error: r.error, attempts: r.attempts, failed_at: r.failedAt, account_id: r.accountId, message_key: r.key,
      value_b64: r.value ? r.value.toString('base64') : null, headers: r.headers,
    }));
    await this.ds.query(
      `INSERT INTO dlq_messages (id, dlq_topic, dlq_partition, dlq_offset, source_topic, consumer_group, error, attempts, failed_at, account_id, message_key, value, headers)
       SELECT id, dlq_topic, dlq_partition, dlq_offset, source_topic, consumer_group, error, attempts, failed_at, account_id, message_key,
              decode(value_b64, 'base64'), headers
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, dlq_topic text, dlq_partition int, dlq_offset bigint, source_topic text, consumer_group text,
              error text, attempts int, failed_at timestamptz, account_id text, message_key text, value_b64 text, headers jsonb)
       ON CONFLICT (dlq_topic, dlq_partition, dlq_offset) DO NOTHING`,
      [JSON.stringify(json)],
    );
  }

  /** Deletes the records older than the retention; returns how many. */
  async deleteOlderThan(days: number): Promise<number> {
    const [, count] = (await this.ds.query(`DELETE FROM dlq_messages WHERE recorded_at < now() - make_interval(days => $1)`, [days])) as [unknown, number];
    return count;
  }

  list(f: DlqFilter, limit: number, after?: KeysetPosition): Promise<DlqRow[]> {
    const where: string[] = ['true'];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.accountId !== undefined) add('account_id = ?', f.accountId);
    if (f.sourceTopic) add('source_topic = ?', f.sourceTopic);
    if (f.consumerGroup) add('consumer_group = ?', f.consumerGroup);
    if (f.state) add('state = ?', f.state);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(recorded_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit);
    return this.ds.query(`SELECT ${COLUMNS} FROM dlq_messages WHERE ${where.join(' AND ')} ORDER BY recorded_at DESC, id DESC LIMIT $${params.length}`, params);
  }

  async get(id: string, accountId?: string): Promise<DlqRow | undefined> {
    const rows: DlqRow[] = await this.ds.query(
      `SELECT ${COLUMNS} FROM dlq_messages WHERE id = $1 ${accountId !== undefined ? 'AND account_id = $2' : ''}`,
      accountId !== undefined ? [id, accountId] : [id],
    );
    return rows[0];
  }

  /**
   * Claims a pending dead letter for a replay or discard, in the caller's transaction: the row is
   * locked and its state changed, so two concurrent replays cannot both send it. undefined when it
   * is not (or no longer) pending.
   */
  async claim(em: EntityManager, id: string, accountId: string | undefined, change: { state: Exclude<DlqState, 'pending'>; by: string; reason: string | null; replayedTo: string | null }): Promise<DlqRow | undefined> {
    const params: unknown[] = [id, change.state, change.by, change.reason, change.replayedTo];
    if (accountId !== undefined) params.push(accountId);
    const [rows] = (await em.query(
      `UPDATE dlq_messages SET state = $2, handled_at = now(), handled_by = $3, reason = $4, replayed_to = $5
        WHERE id = $1 AND state = 'pending' ${accountId !== undefined ? 'AND account_id = $6' : ''}
        RETURNING ${COLUMNS}`,
      params,
    )) as [DlqRow[], number];
    return rows[0];
  }
}
