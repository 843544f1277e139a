/**
 * What the consumer transport reports as it works, for metrics. Called a few times per fetched
 * batch (never per record on the happy path), so an implementation must stay cheap: no I/O, no
 * per-event labels.
 */
export interface ConsumerObserver {
  /** A fetched batch is about to be handled; `lag` = its high watermark minus its first offset. */
  batchStarted(topic: string, partition: number, messages: number, lag: number): void;
  /** Offsets committed after `handled` more messages; `lag` = what is left up to the batch's high watermark. */
  committed(topic: string, partition: number, handled: number, lag: number): void;
  /** The fetched batch is done (or left for a rebalance / shutdown). */
  batchFinished(topic: string, partition: number, seconds: number): void;
  /**
   * A handler is called (every attempt) with `messages` messages of `partitions` partitions (more than
   * one for a call merging the partitions of a fetch). Optional: older observers need not count it.
   */
  handlerCalled?(topic: string, messages: number, partitions: number): void;
  /** A handler call threw (each attempt counts). */
  handlerFailed(topic: string): void;
  /** Messages handed to the handler again: a retry, or a failed batch replayed one message at a time. */
  redelivered(topic: string, messages: number): void;
  /** A message written to `<topic>.dlq`. */
  deadLettered(topic: string): void;
  /**
   * Sampled on a timer (a few requests to the broker, off the message path): `lag` = the high
   * watermark now minus the group's committed offset, for a partition this member is assigned.
   * Keeps the lag moving while a batch is stuck in a handler and nothing is fetched or committed.
   */
  lagSampled(topic: string, partition: number, lag: number): void;
  /** This member's partitions after a rebalance: series of partitions it no longer works can go. */
  assigned(partitions: ReadonlyMap<string, readonly number[]>): void;
}
