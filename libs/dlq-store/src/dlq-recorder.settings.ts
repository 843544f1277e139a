/** What the dead-letter recorder needs to know; the projector's config class carries these variables. */
export interface DlqRecorderSettings {
  /** `false`: record nothing (tests that dead-letter on purpose and check the topic only). */
  DLQ_RECORDER_ENABLED: 'true' | 'false';
  /** Days a `dlq_messages` record is kept (pending or handled). */
  DLQ_RECORD_RETENTION_DAYS: number;
  /** How often the retention sweep runs. */
  FEED_MAINTENANCE_INTERVAL_MS: number;
  /** Appended to the recorder's group id (one group per deployment sharing a cluster). */
  KAFKA_GROUP_SUFFIX: string;
}

export const DLQ_RECORDER_SETTINGS = Symbol('DLQ_RECORDER_SETTINGS');
