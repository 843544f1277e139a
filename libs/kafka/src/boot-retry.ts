import { errorMessage } from '@hookstream/contracts';
import { KafkaAccessError } from './kafka-connection';

/**
 * Broker answers that no retry can change: the client's credentials or ACLs are wrong. Anything
 * else at boot (a broker still starting or restarting, a coordinator loading, leaders not yet
 * elected, fewer brokers registered than the replication factor) passes by itself.
 */
const PERMANENT_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED', 'UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE',
  'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

/** True for a Kafka boot error that is the configuration's fault (the process should stop and say so). */
export function isPermanentKafkaBootError(err: unknown): boolean {
  if (err instanceof KafkaAccessError) return err.permanent;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; type?: unknown };
  return e.name === 'KafkaJSSASLAuthenticationError' || PERMANENT_TYPES.has(String(e.type));
}

export interface BootRetryOptions {
  /** What is being waited for, for the log: "connect to Kafka and create the topics". */
  what: string;
  /** Where the waiting is reported (warn level): the app stays not ready meanwhile. */
  log: (message: string) => void;
  baseMs?: number;
  maxMs?: number;
  /** Errors that retrying cannot fix; rethrown at once (default: `isPermanentKafkaBootError`). */
  isPermanent?: (err: unknown) => boolean;
  /** Clean up a half-done attempt (a consumer that connected but could not subscribe …). */
  onFailure?: () => Promise<void>;
  /**
   * A failure that looks like a setting but could be a broker going away (`KafkaAccessError.suspectSetting`)
   * stops the boot once it happened this many times in a row (default 3, about 3.5 s).
   */
  suspectLimit?: number;
}

/**
 * Runs a boot step that needs Kafka until it succeeds. A broker that is not there yet, a cluster
 * whose brokers are still registering, a coordinator that is loading — these pass, so the process
 * must not exit on them (an orchestrator would restart it into the same race): it logs what it
 * waits for and why, retries with capped backoff, and stays not ready (the readiness probe answers
 * 503 until boot completes). Only a configuration error (a refused login, an untrusted
 * certificate) stops the boot, with its one clear message.
 */
export async function retryKafkaBootStep<T>(step: () => Promise<T>, opts: BootRetryOptions): Promise<T> {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 5000;
  const permanent = opts.isPermanent ?? isPermanentKafkaBootError;
  const since = Date.now();
  let suspect = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (permanent(err)) throw err;
      suspect = err instanceof KafkaAccessError && err.suspectSetting ? suspect + 1 : 0;
      if (suspect >= (opts.suspectLimit ?? 3)) throw err;
      await opts.onFailure?.().catch(() => undefined);
      const delay = Math.min(max, base * 2 ** Math.min(attempt - 1, 16));
      opts.log(`could not ${opts.what} yet (attempt ${attempt}, ${Math.round((Date.now() - since) / 1000)} s): ${errorMessage(err)} — retrying in ${delay} ms; not ready until then`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
