import { BaseAppConfig } from '@hookstream/config';
import { IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { parseSchedule } from './attempts/attempt-outcome';

export class DeliveryConfig extends BaseAppConfig {
  override HTTP_PORT = 3005;

  /**
   * The internal API (send sample data, for control-api) listens here, apart from HTTP_HOST:HTTP_PORT
   * (health, metrics). Loopback by default; in a cluster, the pod address with the port reachable
   * only from control-api. Port 0 = any free port (tests).
   */
  @IsString() @IsNotEmpty() DELIVERY_INTERNAL_HOST = '127.0.0.1';
  @IsInt() @Min(0) @Max(65535) DELIVERY_INTERNAL_PORT = 3015;

  /** CIDRs that may be reached although not public (tests, private deployments), e.g. `127.0.0.1/32,::1/128`. */
  @IsString() DELIVERY_ALLOWED_CIDRS = '';

  /** Plain http targets; off in production (ActiveCampaign's rule: https on 443 only). */
  @IsIn(['true', 'false']) DELIVERY_ALLOW_HTTP = 'false';

  /** Comma-separated ports, or `any`. */
  @IsString() @Matches(/^(any|\d{1,5}(,\d{1,5})*)$/, { message: 'DELIVERY_ALLOWED_PORTS must be a comma-separated port list or "any"' })
  DELIVERY_ALLOWED_PORTS = '443';

  @IsInt() @Min(100) @Max(5000) DELIVERY_CONNECT_TIMEOUT_MS = 5000;

  /** Whole attempt: connect, send, response headers and the kept part of the body. */
  @IsInt() @Min(500) @Max(120000) DELIVERY_TIMEOUT_MS = 15000;

  /** Outbound requests in flight in this process, across all endpoints (sent, not answered yet). */
  @IsInt() @Min(1) @Max(100000) DELIVERY_MAX_IN_FLIGHT = 200;

  /**
   * Answered attempts whose result is still being published to Kafka and recorded in the table.
   * While this many are pending, no new attempt starts: with the requests in flight, this bounds
   * the work in progress. Publishing and recording take whole batches at once, so a cap this
   * size lets them batch (bench/README.md, session 23).
   */
  @IsInt() @Min(1) @Max(100000) DELIVERY_MAX_RECORDING = 1000;

  /** Deliveries queued in memory per endpoint; the rest wait in the table for the scheduler. */
  @IsInt() @Min(1) @Max(1_000_000) DELIVERY_MAX_QUEUE_PER_ENDPOINT = 1000;

  /**
   * Deliveries queued in memory across all endpoints; the rest wait in the table for the scheduler.
   * Without it the bound was DELIVERY_MAX_QUEUE_PER_ENDPOINT times the endpoints with traffic: many
   * slow endpoints of many tenants could hold millions of requests in one process.
   */
  @IsInt() @Min(1) @Max(10_000_000) DELIVERY_MAX_QUEUED = 20_000;

  /**
   * How long a claimed delivery belongs to this process. A crash before the attempt is
   * recorded hands it to any replica after this; it must exceed DELIVERY_TIMEOUT_MS.
   */
  @IsInt() @Min(5) @Max(3600) DELIVERY_LEASE_SECONDS = 60;

  /** Delay before each attempt, from the previous one: bare numbers are seconds, or 5s/5m/2h/1d. */
  @IsString() @Matches(/^\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*(,\s*\d+(\.\d+)?(ms|s|m|h|d)?\s*)*$/, { message: 'DELIVERY_SCHEDULE must be a comma-separated list of delays, e.g. 0,5,300 (seconds) or 0,5s,5m' })
  DELIVERY_SCHEDULE = '0,5,300,1800,7200,18000,36000,50400,72000,86400';

  @IsInt() @Min(50) @Max(60000) DELIVERY_POLL_MS = 1000;

  /**
   * A new delivery to a healthy endpoint is sent straight from the topic and its row written once,
   * with the attempt's outcome; the consumer's commit waits up to this long for those attempts (it
   * fetches on meanwhile), then a pending (leased) row is written for any still unfinished. An
   * endpoint that answers no faster than this takes the insert-first path for 30 s. 0 = always
   * insert the pending row first (one more row write per delivery).
   */
  @IsInt() @Min(0) @Max(10000) DELIVERY_DIRECT_WAIT_MS = 3000;

  /** Rows the scheduler claims per poll. */
  @IsInt() @Min(1) @Max(10000) DELIVERY_CLAIM_BATCH = 500;

  /**
   * Longest the deliveries consumer waits, before taking a batch in, while the dispatcher already
   * holds its buffer of work for endpoints that keep up (see `dispatcherBuffer`): the backlog then
   * stays in Kafka instead of being written due to the table and claimed back. 0 = never wait.
   */
  @IsInt() @Min(0) @Max(10000) DELIVERY_INTAKE_PACE_MS = 1000;

  /** Bounds on a receiver's Retry-After (seconds). */
  @IsInt() @Min(0) @Max(86400) RETRY_AFTER_MIN_SECONDS = 1;
  @IsInt() @Min(1) @Max(7 * 86400) RETRY_AFTER_MAX_SECONDS = 86400;

  /**
   * Deliveries (and their attempts) older than this are deleted, whatever their state — also
   * the held backlog of an endpoint disabled for that long. Must outlast DELIVERY_SCHEDULE.
   */
  @IsInt() @Min(1) @Max(3650) DELIVERY_RETENTION_DAYS = 30;

  /** Time between two retention runs of each replica (each deletes in batches of DELIVERY_RETENTION_BATCH until none is left). */
  @IsInt() @Min(1000) @Max(86_400_000) DELIVERY_RETENTION_INTERVAL_MS = 600_000;
  @IsInt() @Min(1) @Max(100_000) DELIVERY_RETENTION_BATCH = 5000;

  /** Consecutive failures that open an endpoint's circuit. */
  @IsInt() @Min(1) @Max(10000) CIRCUIT_FAILURE_THRESHOLD = 10;
  @IsInt() @Min(100) @Max(3_600_000) CIRCUIT_COOLDOWN_MS = 30000;

  /** Label delivery metrics with the endpoint id (one series per endpoint: keep off for many endpoints). */
  @IsIn(['true', 'false']) DELIVERY_METRICS_ENDPOINT_LABELS = 'false';
}

/**
 * Jobs (queued + in flight) the dispatcher should hold for endpoints that keep up: enough that it
 * does not run dry while the next claim is on its way — four claim batches, and at least four
 * times the in-flight cap. The scheduler claims up to it; the intake waits while it is full.
 */
export function dispatcherBuffer(c: Pick<DeliveryConfig, 'DELIVERY_MAX_IN_FLIGHT' | 'DELIVERY_CLAIM_BATCH'>): number {
  return Math.max(c.DELIVERY_MAX_IN_FLIGHT, c.DELIVERY_CLAIM_BATCH) * 4;
}

/**
 * A lane with half its queue in use while its endpoint's own limits hold it back is crowded (a slow
 * endpoint): its backlog counts against no one else (`Dispatcher.crowdedLanes`).
 */
export function crowdedLaneThreshold(c: Pick<DeliveryConfig, 'DELIVERY_MAX_QUEUE_PER_ENDPOINT'>): number {
  return Math.max(1, Math.floor(c.DELIVERY_MAX_QUEUE_PER_ENDPOINT / 2));
}

/** Cross-field rules class-validator cannot express; throws with every problem at once. */
export function assertDeliveryConfig(c: DeliveryConfig): void {
  const problems: string[] = [];
  if (c.DELIVERY_LEASE_SECONDS * 1000 <= c.DELIVERY_TIMEOUT_MS + c.DELIVERY_CONNECT_TIMEOUT_MS) {
    problems.push('DELIVERY_LEASE_SECONDS must exceed DELIVERY_TIMEOUT_MS + DELIVERY_CONNECT_TIMEOUT_MS, or a slow attempt could be sent twice');
  }
  const scheduleMs = parseSchedule(c.DELIVERY_SCHEDULE).reduce((a, b) => a + b, 0);
  if (c.DELIVERY_RETENTION_DAYS * 86_400_000 <= scheduleMs) {
    problems.push(`DELIVERY_RETENTION_DAYS must outlast DELIVERY_SCHEDULE (${(scheduleMs / 86_400_000).toFixed(1)} days), or deliveries would be deleted while still retrying`);
  }
  if (c.DELIVERY_INTERNAL_PORT !== 0 && c.DELIVERY_INTERNAL_PORT === c.HTTP_PORT) {
    problems.push('DELIVERY_INTERNAL_PORT must differ from HTTP_PORT: the internal API has a listener of its own');
  }
  if (c.RETRY_AFTER_MIN_SECONDS > c.RETRY_AFTER_MAX_SECONDS) problems.push('RETRY_AFTER_MIN_SECONDS must not exceed RETRY_AFTER_MAX_SECONDS');
  if (c.DELIVERY_MAX_QUEUED < dispatcherBuffer(c)) {
    problems.push(
      `DELIVERY_MAX_QUEUED must be at least the dispatcher's buffer, 4 × max(DELIVERY_MAX_IN_FLIGHT, DELIVERY_CLAIM_BATCH) = ${dispatcherBuffer(c)}, ` +
        'or the intake and the scheduler would keep taking work the queues then refuse',
    );
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
}
