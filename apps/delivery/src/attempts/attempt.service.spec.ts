import type { DeliveryRequestDto } from '@hookstream/contracts';
import { ProducerUnavailableError } from '@hookstream/kafka';
import { newWebhookSecret } from '@hookstream/webhooks';
import type { DeliveryConfig } from '../delivery.config';
import type { EndpointCache, EndpointRuntime } from '../config-cache/endpoint.cache';
import type { OutboundClient } from '../outbound/outbound-client';
import type { RunResult, RunVerdict } from '../dispatch/dispatcher';
import { AttemptService, type DeliveryJob } from './attempt.service';
import { DirectAttempt } from './direct-attempt';
import type { DeliveriesRepository } from '../storage/deliveries.repository';
import type { ResultsPublisher } from './results.publisher';

/** Database, HTTP and Kafka faked: this checks which statements an attempt needs, not their SQL (see the integration tests). */
function setup() {
  const request: DeliveryRequestDto = {
    id: 'dlv_1', webhookId: 'msg_1', accountId: 'acc_1', endpointId: 'ep_1', eventId: 'evt_1', eventType: 'contact.added',
    eventTime: '2026-11-25T10:00:00.000Z', data: { email: 'a@example.com' }, cause: 'subscription', createdAt: '2026-11-25T10:00:00.000Z',
  };
  const repo = {
    startAttempt: jest.fn(async () => ({ request, attempts: 2, createdAt: new Date('2026-11-25T09:00:00Z'), leaseToken: 'lease-from-start' })),
    recordAttempt: jest.fn(async () => true),
    recordFirstAttempt: jest.fn(async () => true),
  };
  const endpoint = {
    snapshot: { id: 'ep_1', url: 'https://hooks.example.com/in', format: 'json', maxConcurrency: 10, rateLimitPerSecond: null },
    secrets: [{ secret: newWebhookSecret(), expiresAt: null }],
    secretError: null,
    disabledLocallyAtVersion: null,
  } as unknown as EndpointRuntime;
  const state = { enabled: true };
  const endpoints = {
    get: () => endpoint,
    isEnabled: () => state.enabled,
    liveSecrets: (e: EndpointRuntime) => e.secrets.map((s) => s.secret),
    markDisabled: jest.fn(),
  } as unknown as EndpointCache;
  const client = { post: jest.fn(async () => ({ kind: 'response', status: 200, headers: {}, body: 'ok', latencyMs: 3 })) } as unknown as OutboundClient;
  const results = { publish: jest.fn(async () => undefined) } as unknown as ResultsPublisher;
  const config = {
    DELIVERY_SCHEDULE: '0,5,300', DELIVERY_LEASE_SECONDS: 60, DELIVERY_CONNECT_TIMEOUT_MS: 5_000, DELIVERY_TIMEOUT_MS: 15_000,
    RETRY_AFTER_MIN_SECONDS: 1, RETRY_AFTER_MAX_SECONDS: 86_400, DELIVERY_DIRECT_WAIT_MS: 500,
  } as DeliveryConfig;
  const service = new AttemptService(repo as unknown as DeliveriesRepository, endpoints, client, results, config);
  return { service, repo, request, client, state, results: results as unknown as { publish: jest.Mock } };
}

/** A run to its end: the verdict, once what goes on after the endpoint answered (publish, record) is done. */
async function settle(run: Promise<RunVerdict | RunResult>): Promise<RunVerdict> {
  const r = await run;
  if (typeof r === 'string') return r;
  await r.after;
  return r.verdict;
}

describe('AttemptService: attempts under the lease just taken (no start statement)', () => {
  it('a row just inserted with a lease that outlasts the attempt is sent without a start statement, as attempt 1 under the insert\'s lease', async () => {
    const t = setup();
    const job: DeliveryJob = { id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'lease-from-insert', request: t.request, leased: { leaseUntil: performance.now() + 60_000, createdAt: new Date(), attempts: 0 } };
    await expect(settle(t.service.run(job))).resolves.toBe('success');
    expect(t.repo.startAttempt).not.toHaveBeenCalled();
    expect(t.client.post).toHaveBeenCalledTimes(1);
    expect(t.repo.recordAttempt).toHaveBeenCalledWith(expect.objectContaining({ deliveryId: 'dlv_1', attempt: 1, status: 'succeeded' }), 'lease-from-insert');
  });

  it('a fresh row whose lease could end before the attempt does (it waited in its queue) takes the start statement and its lease', async () => {
    const t = setup();
    // 20 s of lease left: less than connect 5 s + attempt 15 s + margin 5 s.
    const job: DeliveryJob = { id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'lease-from-insert', request: t.request, leased: { leaseUntil: performance.now() + 20_000, createdAt: new Date(), attempts: 0 } };
    await settle(t.service.run(job));
    expect(t.repo.startAttempt).toHaveBeenCalledTimes(1);
    expect(t.repo.recordAttempt).toHaveBeenCalledWith(expect.objectContaining({ attempt: 3 }), 'lease-from-start');
  });

  it('a row claimed by the scheduler, with its request and attempts in hand, is sent without a start statement under the claim\'s lease', async () => {
    const t = setup();
    const createdAt = new Date(Date.now() - 3_600_000);
    const job: DeliveryJob = { id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'lease-from-claim', request: t.request, leased: { leaseUntil: performance.now() + 60_000, createdAt, attempts: 4 } };
    await expect(settle(t.service.run(job))).resolves.toBe('success');
    expect(t.repo.startAttempt).not.toHaveBeenCalled();
    expect(t.repo.recordAttempt).toHaveBeenCalledWith(expect.objectContaining({ deliveryId: 'dlv_1', attempt: 5, status: 'succeeded' }), 'lease-from-claim');
  });

  it('a job without its lease and request in hand takes the start statement', async () => {
    const t = setup();
    await settle(t.service.run({ id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'lease-from-claim' }));
    expect(t.repo.startAttempt).toHaveBeenCalledTimes(1);
  });
});

describe('AttemptService: the result is durable before the attempt is recorded', () => {
  const fresh = (t: ReturnType<typeof setup>): DeliveryJob => ({ id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'l', request: t.request, leased: { leaseUntil: performance.now() + 60_000, createdAt: new Date(), attempts: 0 } });

  it('publishes (acknowledged) before it records, for a 410 too', async () => {
    const t = setup();
    (t.client.post as jest.Mock).mockResolvedValue({ kind: 'response', status: 410, headers: {}, body: '', latencyMs: 2 });
    await settle(t.service.run(fresh(t)));
    expect(t.results.publish).toHaveBeenCalledWith(expect.objectContaining({ outcome: 'endpoint_disabled', attempt: 1 }), undefined);
    expect(t.results.publish.mock.invocationCallOrder[0]).toBeLessThan(t.repo.recordAttempt.mock.invocationCallOrder[0]);
  });

  it('a 410 whose result Kafka does not acknowledge is retried, and recorded only once it is', async () => {
    const t = setup();
    (t.client.post as jest.Mock).mockResolvedValue({ kind: 'response', status: 410, headers: {}, body: '', latencyMs: 2 });
    t.results.publish
      .mockRejectedValueOnce(new ProducerUnavailableError('Kafka did not acknowledge within 5000 ms'))
      .mockRejectedValueOnce(new ProducerUnavailableError('producer is reconnecting to Kafka'))
      .mockResolvedValue(undefined);
    await settle(t.service.run(fresh(t)));
    expect(t.results.publish).toHaveBeenCalledTimes(3);
    expect(t.repo.recordAttempt).toHaveBeenCalledTimes(1);
    expect(t.results.publish.mock.invocationCallOrder[2]).toBeLessThan(t.repo.recordAttempt.mock.invocationCallOrder[0]);
  });

  it('a result that cannot be published leaves the attempt unrecorded (made again when the lease ends) and says so', async () => {
    const t = setup();
    (t.client.post as jest.Mock).mockResolvedValue({ kind: 'response', status: 410, headers: {}, body: '', latencyMs: 2 });
    t.results.publish.mockRejectedValue(new Error('MESSAGE_TOO_LARGE'));
    await expect(settle(t.service.run(fresh(t)))).rejects.toThrow(/could not be published, so the attempt is not recorded and will be made again/);
    expect(t.repo.recordAttempt).not.toHaveBeenCalled();
    await expect(t.service.drain(100)).resolves.toBe(true);
  });

  it('frees the endpoint as soon as it answered: the verdict comes before the result is acknowledged, the record after', async () => {
    const t = setup();
    let acknowledge!: () => void;
    t.results.publish.mockImplementation(() => new Promise<void>((r) => (acknowledge = r)));
    const r = await t.service.run(fresh(t));
    if (typeof r === 'string') throw new Error(`expected the verdict with the rest of the attempt, got ${r}`);
    expect(r.verdict).toBe('success');
    await new Promise((res) => setImmediate(res));
    expect(t.results.publish).toHaveBeenCalledTimes(1);
    expect(t.repo.recordAttempt).not.toHaveBeenCalled();
    acknowledge();
    await r.after;
    expect(t.repo.recordAttempt).toHaveBeenCalledTimes(1);
  });
});

describe('AttemptService: first attempts sent before the delivery has a row (direct)', () => {
  const direct = (t: ReturnType<typeof setup>): DeliveryJob & { direct: DirectAttempt } => ({
    id: 'dlv_1', endpointId: 'ep_1', leaseToken: '', request: t.request, direct: new DirectAttempt(new Date('2026-11-25T10:00:01Z')),
  });

  it('sends as attempt 1 without any start statement, publishes, then writes the row once with the outcome and settles "recorded"', async () => {
    const t = setup();
    const order: string[] = [];
    t.results.publish.mockImplementation(async () => void order.push('publish'));
    t.repo.recordFirstAttempt.mockImplementation(async () => (order.push('record'), true));
    const job = direct(t);
    await expect(settle(t.service.run(job))).resolves.toBe('success');
    expect(order).toEqual(['publish', 'record']);
    expect(t.repo.startAttempt).not.toHaveBeenCalled();
    expect(t.repo.recordAttempt).not.toHaveBeenCalled();
    expect(t.repo.recordFirstAttempt).toHaveBeenCalledWith(expect.objectContaining({ deliveryId: 'dlv_1', attempt: 1, status: 'succeeded' }), t.request, job.direct.createdAt);
    expect(job.direct).toMatchObject({ started: true, answered: true });
    await expect(job.direct.settled).resolves.toBe('recorded');
  });

  it('a result that cannot be published records nothing and settles "needs-row" (the intake then writes a leased row)', async () => {
    const t = setup();
    t.results.publish.mockRejectedValue(new Error('refused'));
    const job = direct(t);
    const r = await t.service.run(job);
    if (typeof r === 'string') throw new Error('expected a run result');
    await expect(r.after).rejects.toThrow(/not recorded/);
    expect(t.repo.recordFirstAttempt).not.toHaveBeenCalled();
    await expect(job.direct.settled).resolves.toBe('needs-row');
  });

  it('an endpoint disabled since the intake looked is not sent to: the job is handed back (bounced) for a due row', async () => {
    const t = setup();
    t.state.enabled = false;
    const job = direct(t);
    await expect(t.service.run(job)).resolves.toBe('neutral');
    expect(t.client.post).not.toHaveBeenCalled();
    expect(job.direct).toMatchObject({ started: false, bounced: true });
    await expect(job.direct.settled).resolves.toBe('needs-row');
  });

  it('a job whose row turned out to exist (dropped) is never sent', async () => {
    const t = setup();
    const job = direct(t);
    job.direct.dropped = true;
    await expect(t.service.run(job)).resolves.toBe('neutral');
    expect(t.client.post).not.toHaveBeenCalled();
  });

  it('an answer as slow as DELIVERY_DIRECT_WAIT_MS marks the endpoint slow', async () => {
    const t = setup();
    (t.client.post as jest.Mock).mockResolvedValue({ kind: 'response', status: 200, headers: {}, body: 'ok', latencyMs: 510 });
    expect(t.service.slow.isSlow('ep_1')).toBe(false);
    await settle(t.service.run(direct(t)));
    expect(t.service.slow.isSlow('ep_1')).toBe(true);
  });
});
