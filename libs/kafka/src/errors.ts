/** A message that can never succeed (bad JSON, invalid contract): skip the retries, go straight to the DLQ. */
export class PermanentMessageError extends Error {
  override readonly name = 'PermanentMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Kafka did not acknowledge in time: the caller must not claim durability (the gateway answers 503). */
export class ProducerUnavailableError extends Error {
  override readonly name: string = 'ProducerUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The producer refused a send up front because its backlog is at its cap (Kafka stalls or is
 * slow): nothing was queued, so nothing will be stored. A ProducerUnavailableError, so callers
 * that only know that one still answer 503.
 */
export class ProducerOverloadedError extends ProducerUnavailableError {
  override readonly name = 'ProducerOverloadedError';
}
