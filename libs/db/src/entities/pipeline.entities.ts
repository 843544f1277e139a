import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Owned by the validator. Expiring storage: rows live until `expires_at` (≥ 4 days), then a purge removes them. */
@Entity('dedupe_keys')
export class DedupeKeyEntity {
  @PrimaryColumn('text', { name: 'source_id' }) sourceId!: string;
  @PrimaryColumn('text') key!: string;
  @Column('text', { name: 'event_id' }) eventId!: string;
  @Column('integer', { name: 'duplicate_count', default: 0 }) duplicateCount!: number;
  @Column('timestamptz', { name: 'first_seen_at' }) firstSeenAt!: Date;
  @Index() @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
}

/** Owned by delivery: one row per (event, endpoint); the scheduler picks due rows with SKIP LOCKED. */
@Entity('deliveries')
export class DeliveryEntity {
  @PrimaryColumn('text') id!: string;
  @Column('text', { name: 'webhook_id' }) webhookId!: string;
  @Index() @Column('text', { name: 'account_id' }) accountId!: string;
  @Index() @Column('text', { name: 'endpoint_id' }) endpointId!: string;
  @Index() @Column('text', { name: 'event_id' }) eventId!: string;
  @Column('text', { name: 'event_type' }) eventType!: string;
  @Column('jsonb') request!: unknown;
  /** pending | succeeded | failed (retrying) | exhausted | cancelled */
  @Column('text') status!: string;
  @Column('integer', { default: 0 }) attempts!: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt!: Date | null;
  @Column('integer', { name: 'last_http_status', nullable: true }) lastHttpStatus!: number | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError!: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity('delivery_attempts')
export class DeliveryAttemptEntity {
  @PrimaryColumn('text', { name: 'delivery_id' }) deliveryId!: string;
  @PrimaryColumn('integer') attempt!: number;
  @Index() @Column('text', { name: 'endpoint_id' }) endpointId!: string;
  @Column('text') outcome!: string;
  @Column('integer', { name: 'http_status', nullable: true }) httpStatus!: number | null;
  @Column('integer', { name: 'latency_ms' }) latencyMs!: number;
  @Column('text', { nullable: true }) error!: string | null;
  @Column('jsonb', { name: 'response_headers', nullable: true }) responseHeaders!: Record<string, string> | null;
  /** First 4 KiB of the response body. */
  @Column('text', { name: 'response_body', nullable: true }) responseBody!: string | null;
  @Column('timestamptz', { name: 'attempted_at' }) attemptedAt!: Date;
}
