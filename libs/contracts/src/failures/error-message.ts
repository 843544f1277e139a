/**
 * The text of anything thrown, for logs, answers and dead-letter headers: an Error's message (its
 * name when the message is empty), the `message` of an error-like object (a rejected kafkajs or pg
 * value that is not an Error instance), else the value as a string.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}
