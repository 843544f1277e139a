import { Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage, isTransientFailure, type DeliveryRequestDto, type DeliveryResultDto } from '@hookstream/contracts';
import { APP_CONFIG } from '@hookstream/platform';
import { inSpan } from '@hookstream/telemetry';
import type { RunResult, RunVerdict } from '../dispatch/dispatcher';
import type { DeliveryConfig } from '../delivery.config';
import { EndpointCache, type EndpointRuntime } from '../config-cache/endpoint.cache';
import { OutboundClient, type OutboundResult } from '../outbound/outbound-client';
import { buildWebhook, type WebhookContent } from '../outbound/webhook-payload';
import { decideAttempt, ENDPOINT_DELETED_REASON, parseSchedule, type AttemptDecision } from './attempt-outcome';
import { DeliveriesRepository, type ClaimedDelivery, type StartedAttempt } from '../storage/deliveries.repository';
import { initAttemptMetrics, recordAttemptMetrics } from './attempt.metrics';
import { ResultsPublisher } from './results.publisher';
import { SlowEndpoints, type DirectAttempt } from './direct-attempt';

/** A claimed delivery handed to the dispatcher (the request itself is read when the attempt starts). */
export interface DeliveryJob extends ClaimedDelivery {
  traceparent?: string;
  /** The request as consumed from the topic, so the attempt need not read it back from the row. */
  request?: DeliveryRequestDto;
  /**
   * Set for a row this process has just leased — inserted with a lease, or claimed by the
   * scheduler — and whose `request` is set: `leaseUntil` is a `performance.now()` time no later
   * than the lease's end in the table (taken before the INSERT or claim was sent), `createdAt` and
   * `attempts` the row's as that statement left them.
   */
  leased?: { leaseUntil: number; createdAt: Date; attempts: number };
  /**
   * Set for a request sent straight from the topic before it has a row (`request` is then set):
   * its outcome is written as the row (DeliveriesRepository.recordFirstAttempt). The intake
   * removes it from a job that had not started when it gave the delivery a pending row instead.
   */
  direct?: DirectAttempt;
}

/** How long an endpoint that answered slowly (DELIVERY_DIRECT_WAIT_MS or more) takes the insert-first path. */
const SLOW_COOL_MS = 30_000;

/** Slack between an attempt's worst-case end and its lease's end, for an attempt that skips the start statement. */
const FRESH_LEASE_MARGIN_MS = 5_000;

/** How long an attempt keeps retrying its result's publish while Kafka is unavailable. */
const RESULT_PUBLISH_BOUND_MS = 30_000;

/** How long to wait for an endpoint the config cache does not know yet (created moments ago). */
const UNKNOWN_ENDPOINT_RETRY_MS = 30_000;
/** After this, an endpoint that never appeared is taken to be deleted. */
const UNKNOWN_ENDPOINT_GIVE_UP_MS = 24 * 60 * 60 * 1000;

/** Result of one HTTP attempt, before it is recorded. */
export interface AttemptRun {
  result: OutboundResult;
  decision: AttemptDecision;
  webhookId: string;
}

/**
 * One attempt of one delivery: build and sign the body, send it, decide what happens next,
 * publish the result (acknowledged by Kafka), then record it (attempt row + delivery state, one statement).
 */
@Injectable()
export class AttemptService {
  private readonly log = new Logger(AttemptService.name);
  private readonly schedule: number[];
  private readonly leaseSeconds: number;
  private readonly publishing = new Set<Promise<void>>();
  /** Endpoints whose requests are not sent straight from the topic for now (see DeliveryIntakeService). */
  readonly slow: SlowEndpoints;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly endpoints: EndpointCache,
    @Inject(OutboundClient) private readonly client: OutboundClient,
    private readonly results: ResultsPublisher,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {
    this.schedule = parseSchedule(config.DELIVERY_SCHEDULE);
    initAttemptMetrics(config.DELIVERY_METRICS_ENDPOINT_LABELS === 'true');
    this.leaseSeconds = config.DELIVERY_LEASE_SECONDS;
    this.slow = new SlowEndpoints(Math.max(1, config.DELIVERY_DIRECT_WAIT_MS), SLOW_COOL_MS);
  }

  /** One attempt, traced as a child of the delivery request's consumer span when tracing is on. */
  run(job: DeliveryJob): Promise<RunVerdict | RunResult> {
    return inSpan('delivery attempt', job.traceparent, { 'hookstream.delivery.id': job.id, 'hookstream.endpoint.id': job.endpointId }, () => this.runAttempt(job));
  }

  private async runAttempt(job: DeliveryJob): Promise<RunVerdict | RunResult> {
    if (job.direct) return this.runDirect(job, job.direct);
    const started = this.leasedStart(job) ?? (await this.repo.startAttempt(job, this.leaseSeconds, job.request));
    // Finished meanwhile, or the lease ran out and another replica owns it now.
    if (!started) return 'neutral';
    const now = new Date();
    const lease: DeliveryJob = { ...job, leaseToken: started.leaseToken };
    const endpoint = this.endpoints.get(job.endpointId);

    if (!endpoint) {
      if (this.endpoints.isDeleted(job.endpointId)) {
        // Its backlog was cancelled in bulk; this one came later (or was locked at the time).
        await this.skip(lease, started, now, ENDPOINT_DELETED_REASON);
        return 'neutral';
      }
      if (now.getTime() - started.createdAt.getTime() < UNKNOWN_ENDPOINT_GIVE_UP_MS) {
        await this.repo.defer(lease, new Date(now.getTime() + UNKNOWN_ENDPOINT_RETRY_MS));
        return 'neutral';
      }
      await this.skip(lease, started, now, 'endpoint unknown (deleted?)');
      return 'neutral';
    }
    if (!this.endpoints.isEnabled(endpoint)) {
      await this.hold(lease);
      return 'neutral';
    }

    const run = await this.attempt(endpoint, started.request, started.attempts + 1, now);
    this.slow.observe(job.endpointId, run.result.latencyMs);
    // The endpoint is done with once it answered: publishing and recording the outcome go on
    // without holding one of its concurrency slots (the dispatcher keeps a global slot until they end).
    const after = this.record(lease, started, run, now);
    // Handled by the dispatcher, which awaits it; this only keeps Node from calling it unhandled
    // should it fail before the dispatcher gets it.
    after.catch(() => undefined);
    return { verdict: run.decision.verdict, after };
  }

  /**
   * A first attempt of a delivery that has no row yet. Anything but a send (the endpoint was
   * deleted, disabled or forgotten since the intake looked) is handed back to the intake, which
   * writes a due row for the scheduler and its usual handling. The outcome is recorded as the
   * row itself; if publishing or recording fails, the intake writes a pending (leased) row, so the
   * delivery is attempted again when that lease ends — as for any unrecorded attempt.
   */
  private async runDirect(job: DeliveryJob, direct: DirectAttempt): Promise<RunVerdict | RunResult> {
    if (direct.dropped) return 'neutral';
    const endpoint = this.endpoints.get(job.endpointId);
    if (!job.request || !endpoint || !this.endpoints.isEnabled(endpoint)) {
      direct.bounce();
      return 'neutral';
    }
    direct.started = true;
    const started: StartedAttempt = { request: job.request, attempts: 0, createdAt: direct.createdAt, leaseToken: '' };
    const now = new Date();
    let run: AttemptRun;
    try {
      run = await this.attempt(endpoint, started.request, 1, now);
    } finally {
      direct.answered = true;
    }
    this.slow.observe(job.endpointId, run.result.latencyMs);
    const after = this.record(job, started, run, now);
    after.then(
      () => direct.settle('recorded'),
      () => direct.settle('needs-row'),
    );
    return { verdict: run.decision.verdict, after };
  }

  /**
   * An attempt needs no start statement when the lease this process took for its row (the
   * intake's INSERT, or the scheduler's claim) outlasts the attempt's worst case (connect +
   * whole-attempt timeout + margin): no other replica can claim the row before then, and the
   * request, attempts and creation time are in hand from that statement. The record statement
   * still compares the lease token, so a row changed meanwhile (cancelled) is not overwritten.
   * That saves one statement per delivery on the common paths; a job that waited in its
   * endpoint's queue too long takes the statement (and a longer lease) as before.
   */
  private leasedStart(job: DeliveryJob): StartedAttempt | undefined {
    if (!job.leased || !job.request) return undefined;
    const worstEnd = performance.now() + this.config.DELIVERY_CONNECT_TIMEOUT_MS + this.config.DELIVERY_TIMEOUT_MS + FRESH_LEASE_MARGIN_MS;
    if (worstEnd >= job.leased.leaseUntil) return undefined;
    return { request: job.request, attempts: job.leased.attempts, createdAt: job.leased.createdAt, leaseToken: job.leaseToken };
  }

  /**
   * The endpoint is disabled: the delivery is held (kept open, not due, no attempt counted) until
   * it is enabled again. If the enable arrived while the hold was being written, the bulk resume
   * may have run first: this row is resumed here instead.
   */
  private async hold(job: DeliveryJob): Promise<void> {
    if (!(await this.repo.hold(job))) return;
    const endpoint = this.endpoints.get(job.endpointId);
    if (endpoint && this.endpoints.isEnabled(endpoint)) await this.repo.resumeEndpoints([job.endpointId], [job.id]);
  }

  /** One HTTP attempt and its meaning; records nothing (the sample path uses it as is). */
  async attempt(endpoint: EndpointRuntime, content: WebhookContent, attempt: number, now: Date): Promise<AttemptRun> {
    const result = await this.send(endpoint, content, now);
    const decision = decideAttempt({
      result,
      attempt,
      schedule: this.schedule,
      now: new Date(),
      retryAfter: { min: this.config.RETRY_AFTER_MIN_SECONDS * 1000, max: this.config.RETRY_AFTER_MAX_SECONDS * 1000 },
    });
    return { result, decision, webhookId: content.webhookId };
  }

  private async send(endpoint: EndpointRuntime, content: WebhookContent, now: Date): Promise<OutboundResult> {
    const secrets = this.endpoints.liveSecrets(endpoint, now);
    // Never send unsigned: receivers are told every delivery is signed.
    if (endpoint.secretError || secrets.length === 0) {
      return { kind: 'error', error: 'refused', message: `not sent: ${endpoint.secretError ?? 'the endpoint has no live signing secret'}`, latencyMs: 0 };
    }
    let webhook;
    try {
      webhook = buildWebhook(content, endpoint.snapshot.format, secrets, now);
    } catch (err) {
      return { kind: 'error', error: 'refused', message: `not sent: ${errorMessage(err)}`, latencyMs: 0 };
    }
    return this.client.post({ url: endpoint.snapshot.url, headers: webhook.headers, body: webhook.body });
  }

  private async record(job: DeliveryJob, started: StartedAttempt, run: AttemptRun, attemptedAt: Date): Promise<void> {
    const { result, decision } = run;
    const attempt = started.attempts + 1;
    // The result is on Kafka before the attempt is recorded: a result that cannot be published
    // leaves the attempt unrecorded, so the delivery is attempted again once its lease ends —
    // a 410's disable can never be lost between the two.
    await this.publish(started.request, attempt, decision, result.latencyMs, attemptedAt, job.traceparent);
    const record = {
      deliveryId: job.id,
      endpointId: job.endpointId,
      attempt,
      outcome: decision.outcome,
      status: decision.status,
      httpStatus: decision.httpStatus,
      latencyMs: result.latencyMs,
      error: decision.error,
      responseHeaders: result.kind === 'response' ? result.headers : null,
      responseBody: result.kind === 'response' ? result.body : null,
      attemptedAt,
      nextAttemptAt: decision.nextAttemptAt,
    };
    const kept = job.direct
      ? await this.repo.recordFirstAttempt(record, started.request, started.createdAt)
      : await this.repo.recordAttempt(record, job.leaseToken);
    recordAttemptMetrics(decision, result.latencyMs, job.endpointId, this.config.DELIVERY_METRICS_ENDPOINT_LABELS === 'true');
    if (!kept) this.log.warn(`delivery ${job.id}: lease lost while attempt ${attempt} was in flight; another replica owns it now`);
    if (decision.outcome === 'endpoint_disabled') {
      this.endpoints.markDisabled(job.endpointId);
      this.log.warn(`endpoint ${job.endpointId} answered 410 Gone: disabled (apps/projector applies it from delivery-results)`);
    }
  }

  /** Cancelled without sending; still an attempt on record so the delivery's story says why. */
  private async skip(job: DeliveryJob, started: StartedAttempt, now: Date, reason: string): Promise<void> {
    const attempt = started.attempts + 1;
    await this.publish(
      started.request,
      attempt,
      { outcome: 'skipped', status: 'cancelled', nextAttemptAt: null, httpStatus: null, error: reason, verdict: 'neutral' },
      0,
      now,
      job.traceparent,
    );
    await this.repo.recordAttempt(
      {
        deliveryId: job.id, endpointId: job.endpointId, attempt, outcome: 'skipped', status: 'cancelled', httpStatus: null,
        latencyMs: 0, error: reason, responseHeaders: null, responseBody: null, attemptedAt: now, nextAttemptAt: null,
      },
      job.leaseToken,
    );
    recordAttemptMetrics({ outcome: 'skipped', status: 'cancelled' }, 0, job.endpointId, this.config.DELIVERY_METRICS_ENDPOINT_LABELS === 'true');
  }

  /**
   * Publishes the attempt's result and resolves once Kafka acknowledged it (acks=all). While Kafka
   * is unavailable (a transient error) it is retried with backoff for up to
   * RESULT_PUBLISH_BOUND_MS; then, or on any other error, it throws: the caller records nothing,
   * and the delivery is attempted again when its lease ends (same webhook-id, receivers dedupe).
   * A republished result has the same ce_id, so its consumers drop the duplicate.
   */
  private async publish(
    req: DeliveryRequestDto,
    attempt: number,
    d: AttemptDecision,
    latencyMs: number,
    attemptedAt: Date,
    traceparent: string | undefined,
  ): Promise<void> {
    const result = {
      deliveryId: req.id,
      webhookId: req.webhookId,
      accountId: req.accountId,
      endpointId: req.endpointId,
      eventId: req.eventId,
      eventType: req.eventType,
      attempt,
      outcome: d.outcome,
      httpStatus: d.httpStatus,
      latencyMs,
      error: d.error,
      nextAttemptAt: d.nextAttemptAt ? d.nextAttemptAt.toISOString() : null,
      attemptedAt: attemptedAt.toISOString(),
    };
    const sent = this.publishAcknowledged(result, traceparent);
    // Tracked so shutdown waits for results still on their way.
    this.publishing.add(sent);
    const untrack = () => this.publishing.delete(sent);
    sent.then(untrack, untrack);
    await sent;
  }

  private async publishAcknowledged(result: DeliveryResultDto, traceparent: string | undefined): Promise<void> {
    const deadline = Date.now() + RESULT_PUBLISH_BOUND_MS;
    for (let i = 0; ; i++) {
      try {
        await this.results.publish(result, traceparent);
        return;
      } catch (err) {
        if (!isTransientFailure(err) || Date.now() >= deadline) {
          throw new Error(
            `delivery ${result.deliveryId}: the result of attempt ${result.attempt} (${result.outcome}) could not be published, so the attempt is not recorded and will be made again when its lease ends: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** i)));
      }
    }
  }

  /** Resolves once every result published so far is acknowledged (or failed), or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const all = Promise.all([...this.publishing].map((p) => p.catch(() => undefined))).then(() => true);
    const timer = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
    return Promise.race([all, timer]);
  }
}
