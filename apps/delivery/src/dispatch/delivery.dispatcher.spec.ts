import { Logger } from '@nestjs/common';
import { loadConfig } from '@hookstream/config';
import type { AttemptService, DeliveryJob } from '../attempts/attempt.service';
import type { EndpointCache } from '../config-cache/endpoint.cache';
import { DeliveryConfig } from '../delivery.config';
import type { DeliveriesRepository } from '../storage/deliveries.repository';
import type { RunVerdict } from './dispatcher';
import { DeliveryDispatcher } from './delivery.dispatcher';

const config = loadConfig(DeliveryConfig, {
  HOOKSTREAM_DEV_INSECURE_KEYS: 'true', LOG_LEVEL: 'silent', CIRCUIT_FAILURE_THRESHOLD: '1', CIRCUIT_COOLDOWN_MS: '60000', SHUTDOWN_TIMEOUT_MS: '2000',
});
const flush = () => new Promise((r) => setImmediate(r));
const job = (id: string): DeliveryJob => ({ id, endpointId: 'ep_1', leaseToken: 't' });

/** The dispatcher over fake attempts, table and endpoint cache: what each was asked to do. */
function setup(verdicts: RunVerdict[]) {
  const ran: string[] = [];
  const deferred: { id: string; at: Date }[] = [];
  let drained = 0;
  const attempts = {
    run: async (j: DeliveryJob) => {
      ran.push(j.id);
      return verdicts.shift() ?? 'success';
    },
    drain: async () => {
      drained++;
      return true;
    },
  } as unknown as AttemptService;
  const repo = { defer: async (j: DeliveryJob, at: Date) => void deferred.push({ id: j.id, at }) } as unknown as DeliveriesRepository;
  const endpoints = { limits: () => ({ maxConcurrency: 1, rateLimitPerSecond: null }) } as unknown as EndpointCache;
  return { d: new DeliveryDispatcher(attempts, repo, endpoints, config), ran, deferred, drained: () => drained };
}

describe('DeliveryDispatcher', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('runs jobs through the attempts, one at a time per the endpoint’s limit, and an open circuit sends the rest back to the table', async () => {
    const { d, ran, deferred } = setup(['failure']);
    const t0 = Date.now();
    expect([d.submit(job('a')), d.submit(job('b')), d.submit(job('c'))]).toEqual([true, true, true]);
    expect(ran).toEqual(['a']);
    await flush();
    await flush();
    // One failure opens the circuit (threshold 1): b and c are deferred to the end of the cool-down, not attempted.
    expect(ran).toEqual(['a']);
    expect(deferred.map((x) => x.id)).toEqual(['b', 'c']);
    expect(deferred.every((x) => x.at.getTime() >= t0 + 60_000)).toBe(true);
  });

  it('at shutdown stops taking jobs, waits for the one in flight and lets the results drain', async () => {
    const { d, ran, drained } = setup([]);
    d.submit(job('a'));
    await d.beforeApplicationShutdown();
    expect(d.stats().inFlight).toBe(0);
    expect(drained()).toBe(1);
    expect(d.submit(job('b'))).toBe(false);
    expect(ran).toEqual(['a']);
  });
});
