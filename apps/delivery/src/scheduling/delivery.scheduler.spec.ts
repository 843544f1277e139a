import type { DeliveryConfig } from '../delivery.config';
import type { EndpointCache } from '../config-cache/endpoint.cache';
import type { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';
import type { DeliveriesRepository } from '../storage/deliveries.repository';
import type { DeliveryJob } from '../attempts/attempt.service';
import { DeliveryScheduler } from './delivery.scheduler';

/** The table and the dispatcher faked in memory: this checks when the scheduler asks for rows and how many. */
function setup(opts: { due: number; claimBatch?: number; maxQueued?: number; crowded?: { endpointIds: string[]; backlog: number } }) {
  let due = opts.due;
  const lanes = { crowded: opts.crowded ?? { endpointIds: [] as string[], backlog: 0 } };
  const claims: number[] = [];
  const state = { queued: 0, inFlight: 0 };
  const submitted: DeliveryJob[] = [];
  const repo = {
    claimDue: jest.fn(async (limit: number, _lease: number, excluded: string[] = []) => {
      claims.push(limit);
      // Every due row is ep_1's: none while its lane is left out.
      const n = excluded.includes('ep_1') ? 0 : Math.min(limit, due);
      due -= n;
      return Array.from({ length: n }, (_, i) => ({
        id: `dlv_${due + i}`, endpointId: 'ep_1', leaseToken: 't', request: { id: `dlv_${due + i}` }, attempts: 2, createdAt: new Date(0),
      }));
    }),
    release: jest.fn(async () => undefined),
  };
  const dispatcher = {
    crowdedLanes: () => lanes.crowded,
    stats: () => ({ ...state }),
    totalQueueRoom: () => Math.max(0, (opts.maxQueued ?? 20_000) - state.queued),
    submit: (job: DeliveryJob) => {
      submitted.push(job);
      state.queued++;
      return true;
    },
  };
  const config = { DELIVERY_POLL_MS: 1000, DELIVERY_CLAIM_BATCH: opts.claimBatch ?? 500, DELIVERY_MAX_IN_FLIGHT: 200, DELIVERY_MAX_QUEUE_PER_ENDPOINT: 1000, DELIVERY_LEASE_SECONDS: 60 } as DeliveryConfig;
  const endpoints = { ready: async () => undefined } as unknown as EndpointCache;
  const scheduler = new DeliveryScheduler(repo as unknown as DeliveriesRepository, dispatcher as unknown as DeliveryDispatcher, endpoints, config);
  return { scheduler, repo, claims, state, submitted, lanes, due: () => due };
}

describe('DeliveryScheduler catch-up', () => {
  afterEach(() => jest.useRealTimers());

  it('idle: a claim that finds less than it had room for waits a whole poll interval', async () => {
    jest.useFakeTimers();
    const t = setup({ due: 3 });
    await t.scheduler.tick();
    expect(t.claims).toEqual([500]);
    await jest.advanceTimersByTimeAsync(900);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(150);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(2);
    await t.scheduler.beforeApplicationShutdown();
  });

  it('a backlog: no query while the dispatcher is full, a claim soon after a quarter of the room frees', async () => {
    jest.useFakeTimers();
    const t = setup({ due: 5_000 });
    // The dispatcher is kept at four claim batches (max(200 in flight, 500 batch) x 4 = 2,000), so it
    // does not run dry while a claim is on its way: each full batch of 500 is followed by another at once.
    await t.scheduler.tick();
    // Each next claim is a 0 ms (in Node, 1 ms) timer set by the one before; the catch-up poll is 50 ms.
    await jest.advanceTimersByTimeAsync(10);
    expect(t.claims).toEqual([500, 500, 500, 500]);
    expect(t.state.queued).toBe(2_000);
    // Full: looks again every 50 ms, without asking the database.
    await jest.advanceTimersByTimeAsync(500);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(4);
    // A few finish: under a quarter of a claim batch (125), still no query.
    t.state.queued = 2_000 - 100;
    await jest.advanceTimersByTimeAsync(200);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(4);
    // A quarter and more is free: claimed within one catch-up interval, not a poll interval.
    t.state.queued = 2_000 - 130;
    await jest.advanceTimersByTimeAsync(60);
    expect(t.claims).toEqual([500, 500, 500, 500, 130]);
    await t.scheduler.beforeApplicationShutdown();
  });

  it('rows due for a crowded lane are claimed within a catch-up poll of the lane draining, not a poll interval later', async () => {
    jest.useFakeTimers();
    // The lane holds 600 queued (crowded at 500): its overflow rows wait in the table.
    const t = setup({ due: 300, crowded: { endpointIds: ['ep_1'], backlog: 600 } });
    t.state.queued = 600;
    await t.scheduler.tick();
    expect(t.claims).toEqual([500]);
    expect(t.submitted).toHaveLength(0);
    // Still crowded: the scheduler looks every 50 ms in memory, and does not ask the table again.
    await jest.advanceTimersByTimeAsync(300);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(1);
    // The lane drains below the threshold: its rows are claimed at the next catch-up poll.
    t.lanes.crowded = { endpointIds: [], backlog: 0 };
    t.state.queued = 100;
    await jest.advanceTimersByTimeAsync(60);
    expect(t.repo.claimDue).toHaveBeenCalledTimes(2);
    expect(t.submitted).toHaveLength(300);
    await t.scheduler.beforeApplicationShutdown();
  });

  it('a lane that stays crowded (a slow endpoint) costs one query per poll interval, as before', async () => {
    jest.useFakeTimers();
    const t = setup({ due: 300, crowded: { endpointIds: ['ep_1'], backlog: 600 } });
    t.state.queued = 600;
    await t.scheduler.tick();
    await jest.advanceTimersByTimeAsync(2_050);
    expect(t.repo.claimDue.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(t.repo.claimDue.mock.calls.length).toBeLessThanOrEqual(3);
    await t.scheduler.beforeApplicationShutdown();
  });

  it('a full claim batch with room to spare claims again at once', async () => {
    jest.useFakeTimers();
    const t = setup({ due: 1_000, claimBatch: 100 });
    await t.scheduler.tick();
    t.state.queued = 0; // dispatched at once
    await jest.advanceTimersByTimeAsync(0);
    expect(t.claims).toEqual([100, 100]);
    await t.scheduler.beforeApplicationShutdown();
  });

  it('claims no more than the bound on all queues together leaves, however much the crowded lanes hold', async () => {
    jest.useFakeTimers();
    // Slow endpoints' lanes hold 2,900 queued jobs, which use up none of the others' room (500)…
    const t = setup({ due: 1_000, maxQueued: 3_000, crowded: { endpointIds: ['ep_9'], backlog: 2_900 } });
    t.state.queued = 2_900;
    await t.scheduler.tick();
    // …but only 100 more fit in memory.
    expect(t.claims).toEqual([100]);
    await t.scheduler.beforeApplicationShutdown();
  });
});

describe('DeliveryScheduler claims', () => {
  it('hands each claimed row to the dispatcher with its request, attempts, creation time and the claim\'s lease, so no start statement is needed', async () => {
    const t = setup({ due: 2 });
    const before = performance.now();
    await t.scheduler.tick();
    expect(t.submitted).toHaveLength(2);
    const job = t.submitted[0] as DeliveryJob;
    expect(job).toMatchObject({ id: 'dlv_0', endpointId: 'ep_1', leaseToken: 't', request: { id: 'dlv_0' }, leased: { attempts: 2, createdAt: new Date(0) } });
    // The lease is counted from before the claim was sent: never later than the table's.
    expect(job.leased?.leaseUntil).toBeGreaterThanOrEqual(before + 60_000);
    expect(job.leased?.leaseUntil).toBeLessThanOrEqual(performance.now() + 60_000);
    expect(t.repo.release).toHaveBeenCalledWith([], expect.any(Date));
    await t.scheduler.beforeApplicationShutdown();
  });
});
