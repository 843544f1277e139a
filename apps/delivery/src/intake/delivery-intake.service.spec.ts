import type { DeliveryRequestDto } from '@hookstream/contracts';
import { metricsRegistry } from '@hookstream/platform';
import type { DeliveryConfig } from '../delivery.config';
import type { AttemptService, DeliveryJob } from '../attempts/attempt.service';
import { SlowEndpoints } from '../attempts/direct-attempt';
import type { EndpointCache } from '../config-cache/endpoint.cache';
import type { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';
import type { ClaimedDelivery, DeliveriesRepository } from '../storage/deliveries.repository';
import { DeliveryIntakeService } from './delivery-intake.service';

/** Table, dispatcher and attempts faked: this checks which rows the intake writes and when it lets the consumer commit. */
function setup(opts: { waitMs?: number; existing?: string[]; refuse?: boolean; paceMs?: number } = {}) {
  const request = (n: number, endpointId = 'ep_1'): DeliveryRequestDto => ({
    id: `dlv_${n}`, webhookId: `msg_${n}`, accountId: 'acc_1', endpointId, eventId: `evt_${n}`, eventType: 'purchase',
    eventTime: '2026-11-25T10:00:00.000Z', data: {}, cause: 'subscription', createdAt: '2026-11-25T10:00:00.000Z',
  });
  const repo = {
    existing: jest.fn(async (ids: readonly string[]) => new Set(ids.filter((id) => (opts.existing ?? []).includes(id)))),
    insertNew: jest.fn(async (rs: readonly DeliveryRequestDto[], _leaseSeconds?: number, _dueNow?: ReadonlySet<string>): Promise<ClaimedDelivery[]> =>
      rs.filter((r) => !(opts.existing ?? []).includes(r.id)).map((r) => ({ id: r.id, endpointId: r.endpointId, leaseToken: `lease-${r.id}` }))),
    release: jest.fn(async () => undefined),
  };
  const submitted: DeliveryJob[] = [];
  const circuits = new Map<string, 'closed' | 'open'>();
  const dispatcher = {
    submit: jest.fn((job: DeliveryJob) => (opts.refuse ? false : (submitted.push(job), true))),
    circuitState: (id: string) => circuits.get(id) ?? 'closed',
    queueRoom: (id: string) => Math.min(queueRoom.get(id) ?? 1000, pacing.totalRoom),
    // DELIVERY_MAX_QUEUED less what is queued: fixed per test (the fake queues nothing).
    totalQueueRoom: () => pacing.totalRoom,
    queuedFor: (id: string) => 1000 - (queueRoom.get(id) ?? 1000),
    backlogOutside: jest.fn((threshold: number) => (threshold === 500 ? pacing.backlog : -1)),
    // Whether the endpoint's own limits (not the global in-flight cap) hold its queue.
    heldByItsLimits: (id: string) => !pacing.cappedOnly.has(id),
    isStopped: false,
  };
  const pacing = { backlog: 0, cappedOnly: new Set<string>(), totalRoom: Number.POSITIVE_INFINITY };
  const queueRoom = new Map<string, number>();
  const known = new Set(['ep_1', 'ep_2']);
  const endpoints = { get: (id: string) => (known.has(id) ? { id } : undefined), isEnabled: () => true, isDeleted: () => false };
  const attempts = { slow: new SlowEndpoints(250, 30_000) };
  const config = {
    DELIVERY_DIRECT_WAIT_MS: opts.waitMs ?? 50, DELIVERY_LEASE_SECONDS: 60, DELIVERY_INTAKE_PACE_MS: opts.paceMs ?? 0,
    DELIVERY_MAX_IN_FLIGHT: 200, DELIVERY_CLAIM_BATCH: 500, DELIVERY_MAX_QUEUE_PER_ENDPOINT: 1000,
  } as DeliveryConfig;
  const intake = new DeliveryIntakeService(
    repo as unknown as DeliveriesRepository,
    dispatcher as unknown as DeliveryDispatcher,
    attempts as unknown as AttemptService,
    endpoints as unknown as EndpointCache,
    config,
  );
  return { intake, repo, submitted, circuits, queueRoom, attempts, request, pacing, dispatcher };
}

describe('DeliveryIntakeService: direct first attempts (row written once)', () => {
  it('sends a request to a healthy endpoint before any row exists, and lets the consumer commit once the attempt is recorded', async () => {
    const t = setup({ waitMs: 5_000 });
    const accepted = t.intake.accept([t.request(1)]);
    await new Promise((r) => setImmediate(r));
    expect(t.submitted).toHaveLength(1);
    const job = t.submitted[0] as DeliveryJob;
    expect(job.direct).toBeDefined();
    let done = false;
    void accepted.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false); // the commit waits for the attempt
    job.direct?.settle('recorded');
    await expect(accepted).resolves.toEqual({ inserted: 0, dispatched: 1, direct: 1 });
    expect(t.repo.insertNew).not.toHaveBeenCalled();
  });

  it('a request whose row already exists (redelivered) is not sent again', async () => {
    const t = setup({ existing: ['dlv_1'] });
    await expect(t.intake.accept([t.request(1)])).resolves.toEqual({ inserted: 0, dispatched: 0, direct: 0 });
    expect(t.submitted).toHaveLength(0);
  });

  it('after DELIVERY_DIRECT_WAIT_MS a job not yet started gets a leased pending row and becomes an ordinary fresh job', async () => {
    const t = setup({ waitMs: 30 });
    await expect(t.intake.accept([t.request(1)])).resolves.toEqual({ inserted: 1, dispatched: 1, direct: 0 });
    const job = t.submitted[0] as DeliveryJob;
    expect(t.repo.insertNew).toHaveBeenCalledWith([t.request(1)], 60);
    expect(job.direct).toBeUndefined();
    expect(job.leaseToken).toBe('lease-dlv_1');
    expect(job.leased).toBeDefined();
    expect(t.repo.release).toHaveBeenCalledWith([], expect.any(Date));
  });

  it('a job in flight at the deadline keeps writing its own outcome over the pending row; that alone does not make its endpoint slow', async () => {
    const t = setup({ waitMs: 30 });
    const accepted = t.intake.accept([t.request(1)]);
    await new Promise((r) => setImmediate(r));
    const job = t.submitted[0] as DeliveryJob;
    (job.direct as NonNullable<DeliveryJob['direct']>).started = true;
    await accepted;
    expect(t.repo.insertNew).toHaveBeenCalledTimes(1);
    expect(job.direct).toBeDefined();
    // Under load it may have started late, behind its queue: only a slow answer marks the endpoint.
    expect(t.attempts.slow.isSlow('ep_1')).toBe(false);
    // The next request to it still goes direct (only that path reads which rows exist).
    await t.intake.accept([t.request(2)]);
    expect(t.repo.existing).toHaveBeenLastCalledWith(['dlv_2']);
  });

  it('an endpoint that answered as slowly as the wait takes the insert-first path', async () => {
    const t = setup({ waitMs: 30 });
    t.attempts.slow.observe('ep_1', 250);
    await t.intake.accept([t.request(2)]);
    expect(t.submitted[0]?.direct).toBeUndefined();
    expect(t.submitted[0]?.leaseToken).toBe('lease-dlv_2');
  });

  it('a job handed back (circuit opened, endpoint disabled meanwhile) gets a row that is due at once', async () => {
    const t = setup({ waitMs: 5_000 });
    const accepted = t.intake.accept([t.request(1)]);
    await new Promise((r) => setImmediate(r));
    t.submitted[0]?.direct?.bounce();
    await accepted;
    expect(t.repo.release).toHaveBeenCalledWith([{ id: 'dlv_1', endpointId: 'ep_1', leaseToken: 'lease-dlv_1' }], expect.any(Date));
  });

  it('requests beyond the room of their endpoint\'s queue are inserted due at once for the scheduler, not dispatched, with no second statement', async () => {
    const t = setup({ waitMs: 0 });
    t.queueRoom.set('ep_1', 2);
    const batch = [t.request(1), t.request(2), t.request(3), t.request(4), t.request(5, 'ep_2')];
    await expect(t.intake.accept(batch)).resolves.toEqual({ inserted: 5, dispatched: 3, direct: 0 });
    expect(t.repo.insertNew).toHaveBeenCalledWith(batch, 60, new Set(['dlv_3', 'dlv_4']));
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2', 'dlv_5']);
    expect(t.submitted[0]?.leased).toEqual({ leaseUntil: expect.any(Number), createdAt: expect.any(Date), attempts: 0 });
    expect(t.repo.release).not.toHaveBeenCalled();
  });

  it('within the bound on all queues together, endpoints of one batch are not all given the same last room', async () => {
    const t = setup({ waitMs: 0 });
    t.pacing.totalRoom = 2;
    const batch = [t.request(1), t.request(2, 'ep_2'), t.request(3, 'ep_2')];
    await expect(t.intake.accept(batch)).resolves.toEqual({ inserted: 3, dispatched: 2, direct: 0 });
    expect(t.repo.insertNew).toHaveBeenCalledWith(batch, 60, new Set(['dlv_3']));
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2']);

    // Direct requests count against it too: what they take is not offered to the insert-first rows.
    const d = setup({ waitMs: 5_000 });
    d.pacing.totalRoom = 2;
    const accepted = d.intake.accept([d.request(1), d.request(2, 'ep_2'), d.request(3, 'ep_2')]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(d.submitted.map((j) => [j.id, j.direct !== undefined])).toEqual([['dlv_1', true], ['dlv_2', true]]);
    expect(d.repo.insertNew).toHaveBeenCalledWith([d.request(3, 'ep_2')], 60, new Set(['dlv_3']));
    for (const j of d.submitted) j.direct?.settle('recorded');
    await expect(accepted).resolves.toEqual({ inserted: 1, dispatched: 2, direct: 2 });
  });

  it('a request the dispatcher cannot queue gets a due row at once', async () => {
    const t = setup({ refuse: true });
    await expect(t.intake.accept([t.request(1)])).resolves.toEqual({ inserted: 1, dispatched: 0, direct: 0 });
    expect(t.repo.release).toHaveBeenCalledWith([expect.objectContaining({ id: 'dlv_1' })], expect.any(Date));
  });

  it('unknown endpoints, open circuits and DELIVERY_DIRECT_WAIT_MS=0 take the insert-first path', async () => {
    const t = setup();
    t.circuits.set('ep_2', 'open');
    await t.intake.accept([t.request(1, 'ep_unknown'), t.request(2, 'ep_2')]);
    expect(t.submitted.map((j) => [j.id, j.direct === undefined])).toEqual([['dlv_1', true], ['dlv_2', true]]);
    expect(t.repo.existing).not.toHaveBeenCalled();

    const off = setup({ waitMs: 0 });
    await off.intake.accept([off.request(3)]);
    expect(off.submitted[0]?.direct).toBeUndefined();
    expect(off.repo.insertNew).toHaveBeenCalledTimes(1);
  });

  it('only as many requests as the endpoint\'s queue has room for go direct; the rest are written first, due for the scheduler', async () => {
    const t = setup({ waitMs: 5_000 });
    t.queueRoom.set('ep_1', 2);
    const accepted = t.intake.accept([t.request(1), t.request(2), t.request(3), t.request(4, 'ep_2')]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(t.submitted.map((j) => [j.id, j.direct !== undefined]).sort()).toEqual([['dlv_1', true], ['dlv_2', true], ['dlv_4', true]]);
    // The direct requests took the queue's room: the third is written due at once, not leased.
    expect(t.repo.insertNew).toHaveBeenCalledWith([t.request(3)], 60, new Set(['dlv_3']));
    for (const j of t.submitted) j.direct?.settle('recorded');
    await expect(accepted).resolves.toEqual({ inserted: 1, dispatched: 3, direct: 3 });
  });

  it('the same request twice in one batch is sent once', async () => {
    const t = setup({ waitMs: 5_000 });
    const accepted = t.intake.accept([t.request(1), t.request(1)]);
    await new Promise((r) => setImmediate(r));
    expect(t.submitted).toHaveLength(1);
    t.submitted[0]?.direct?.settle('recorded');
    await accepted;
  });
});

describe('DeliveryIntakeService: take() hands off before the direct attempts settle (the consumer defers its commit)', () => {
  it('resolves once the jobs are submitted; settled waits for their outcome', async () => {
    const t = setup({ waitMs: 5_000 });
    const { settled } = await t.intake.take([t.request(1), t.request(2)]);
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2']);
    let done = false;
    void settled.then(() => (done = true));
    t.submitted[0]?.direct?.settle('recorded');
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    t.submitted[1]?.direct?.settle('recorded');
    await expect(settled).resolves.toEqual({ inserted: 0, dispatched: 2, direct: 2 });
  });

  it('a request read again while its direct attempt is in flight joins that attempt: not read from the table, not sent twice', async () => {
    const t = setup({ waitMs: 5_000 });
    const first = await t.intake.take([t.request(1)]);
    const again = await t.intake.take([t.request(1), t.request(2)]);
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2']);
    expect(t.repo.existing.mock.calls.map((c) => [...c[0]])).toEqual([['dlv_1'], ['dlv_2']]);
    for (const j of t.submitted) j.direct?.settle('recorded');
    await expect(first.settled).resolves.toEqual({ inserted: 0, dispatched: 1, direct: 1 });
    // The joined one is not counted as sent direct a second time.
    await expect(again.settled).resolves.toEqual({ inserted: 0, dispatched: 1, direct: 1 });
    // Recorded: a later read goes to the table again.
    await t.intake.take([t.request(1)]);
    expect(t.repo.existing).toHaveBeenCalledTimes(3);
  });

  it('a request joining its attempt in flight does not open the direct path to an endpoint that cannot take it now', async () => {
    const t = setup({ waitMs: 5_000 });
    await t.intake.take([t.request(1)]);
    t.circuits.set('ep_1', 'open');
    await t.intake.take([t.request(1), t.request(2)]);
    // dlv_1 joined its attempt; dlv_2 was written first, as any request to an open circuit.
    expect(t.submitted.map((j) => [j.id, j.direct !== undefined])).toEqual([['dlv_1', true], ['dlv_2', false]]);
    expect(t.repo.insertNew).toHaveBeenCalledWith([t.request(2)], 60, new Set());
  });

  it('when the rows cannot be written after the wait, settled rejects (the consumer reads the batch again) and the queued job is joined, not sent again', async () => {
    const t = setup({ waitMs: 20 });
    t.repo.insertNew.mockRejectedValueOnce(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    const { settled } = await t.intake.take([t.request(1)]);
    await expect(settled).rejects.toThrow(/ECONNREFUSED/);
    const again = await t.intake.take([t.request(1)]);
    expect(t.submitted).toHaveLength(1);
    await expect(again.settled).resolves.toEqual({ inserted: 1, dispatched: 0, direct: 0 });
    // Not started when the row came: an ordinary leased job now.
    expect(t.submitted[0]?.direct).toBeUndefined();
    expect(t.submitted[0]?.leaseToken).toBe('lease-dlv_1');
  });
});

describe('DeliveryIntakeService: pacing (DELIVERY_INTAKE_PACE_MS)', () => {
  it('waits before taking a batch in while the lanes that keep up hold the dispatcher\'s buffer (2,000), and goes on once it drains', async () => {
    const t = setup({ waitMs: 0, paceMs: 5_000 });
    t.pacing.backlog = 2_000;
    let done = false;
    const accepted = t.intake.accept([t.request(1)]).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBe(false);
    expect(t.repo.insertNew).not.toHaveBeenCalled();
    // Crowded lanes (half their queue of 1,000 in use) are left out of the count.
    expect(t.dispatcher.backlogOutside).toHaveBeenCalledWith(500);
    t.pacing.backlog = 1_999;
    await expect(accepted).resolves.toEqual({ inserted: 1, dispatched: 1, direct: 0 });
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set());
  });

  it('waits no longer than DELIVERY_INTAKE_PACE_MS: then the batch goes in as before, its overflow due for the scheduler', async () => {
    const t = setup({ waitMs: 0, paceMs: 60 });
    t.pacing.backlog = 10_000;
    t.queueRoom.set('ep_1', 0);
    const started = Date.now();
    await expect(t.intake.accept([t.request(1)])).resolves.toEqual({ inserted: 1, dispatched: 0, direct: 0 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set(['dlv_1']));
  });

  it('0 never waits', async () => {
    const t = setup({ waitMs: 0, paceMs: 0 });
    t.pacing.backlog = 10_000;
    await expect(t.intake.accept([t.request(1)])).resolves.toEqual({ inserted: 1, dispatched: 1, direct: 0 });
    expect(t.dispatcher.backlogOutside).not.toHaveBeenCalled();
  });
});

describe('DeliveryIntakeService: pacing on an endpoint\'s own queue', () => {
  it('waits while the endpoint\'s full queue drains, then takes the batch in with no row due for the scheduler', async () => {
    const t = setup({ waitMs: 0, paceMs: 5_000 });
    t.queueRoom.set('ep_1', 0);
    let done = false;
    const accepted = t.intake.accept([t.request(1), t.request(2)]).then((r) => ((done = true), r));
    // Draining, but not yet room for both.
    for (const room of [0, 0, 1, 1]) {
      t.queueRoom.set('ep_1', room);
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(done).toBe(false);
    t.queueRoom.set('ep_1', 2);
    await expect(accepted).resolves.toEqual({ inserted: 2, dispatched: 2, direct: 0 });
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set());
  });

  it('a full queue that stops draining (a slow endpoint) ends the wait within ~100 ms, and the next batches do not wait for it', async () => {
    const t = setup({ waitMs: 0, paceMs: 5_000 });
    t.queueRoom.set('ep_1', 0);
    let started = Date.now();
    await expect(t.intake.accept([t.request(1), t.request(2, 'ep_2')])).resolves.toEqual({ inserted: 2, dispatched: 1, direct: 0 });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(1_000);
    // Its request is due for the scheduler; the other endpoint's goes to the dispatcher.
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set(['dlv_1']));
    started = Date.now();
    await t.intake.accept([t.request(3)]);
    expect(Date.now() - started).toBeLessThan(50);
  });
});

describe('DeliveryIntakeService: pacing while the process is busy', () => {
  it('a full queue held only by the global in-flight cap is waited for past the stall time, and its requests get no due rows', async () => {
    const t = setup({ waitMs: 0, paceMs: 5_000 });
    t.queueRoom.set('ep_1', 0);
    t.pacing.cappedOnly.add('ep_1');
    let done = false;
    const accepted = t.intake.accept([t.request(1), t.request(2, 'ep_2')]).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    expect(t.repo.insertNew).not.toHaveBeenCalled();
    t.queueRoom.set('ep_1', 1);
    await expect(accepted).resolves.toEqual({ inserted: 2, dispatched: 2, direct: 0 });
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set());
  });

  it('gives up on a stalled endpoint of the batch and waits on for one held by the cap', async () => {
    const t = setup({ waitMs: 0, paceMs: 5_000 });
    t.queueRoom.set('ep_1', 0);
    t.queueRoom.set('ep_2', 0);
    t.pacing.cappedOnly.add('ep_2');
    let done = false;
    const accepted = t.intake.accept([t.request(1), t.request(2, 'ep_2')]).then((r) => ((done = true), r));
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    t.queueRoom.set('ep_2', 1);
    await expect(accepted).resolves.toEqual({ inserted: 2, dispatched: 1, direct: 0 });
    // Only the stalled endpoint's request is due for the scheduler.
    expect(t.repo.insertNew.mock.calls[0]?.[2]).toEqual(new Set(['dlv_1']));
  });
});

describe('DeliveryIntakeService: batches of several partitions taken side by side', () => {
  it('share the endpoint\'s queue room: the second waits for room instead of being sent direct and handed back for a row', async () => {
    const t = setup({ waitMs: 5_000, paceMs: 5_000 });
    // A dispatcher whose queue fills as it takes jobs (room for two), held only by the in-flight cap.
    t.queueRoom.set('ep_1', 2);
    t.pacing.cappedOnly.add('ep_1');
    t.dispatcher.submit.mockImplementation((job: DeliveryJob) => {
      const room = t.queueRoom.get(job.endpointId) ?? 0;
      if (room <= 0) return false;
      t.queueRoom.set(job.endpointId, room - 1);
      t.submitted.push(job);
      return true;
    });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The first batch has chosen the direct path and waits for its read of existing rows…
    t.repo.existing.mockImplementationOnce(async () => (await gate, new Set<string>()));
    const first = t.intake.accept([t.request(1), t.request(2)]);
    // …while a second partition's batch for the same endpoint arrives.
    const second = t.intake.accept([t.request(3), t.request(4)]);
    await new Promise((r) => setTimeout(r, 100));
    // The room is promised to the first batch: the second waits for it (no read, no submit).
    expect(t.repo.existing).toHaveBeenCalledTimes(1);
    open();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2']);
    expect(t.repo.existing).toHaveBeenCalledTimes(1);
    // The queue drains: the second batch goes in, direct as well.
    t.queueRoom.set('ep_1', 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2', 'dlv_3', 'dlv_4']);
    for (const job of t.submitted) job.direct?.settle('recorded');
    await expect(first).resolves.toEqual({ inserted: 0, dispatched: 2, direct: 2 });
    await expect(second).resolves.toEqual({ inserted: 0, dispatched: 2, direct: 2 });
    // Nothing was refused by the queue, so nothing needed a row.
    expect(t.dispatcher.submit).toHaveBeenCalledTimes(4);
    expect(t.repo.insertNew).not.toHaveBeenCalled();
  });

  it('gives the promised room back when the read of existing rows fails', async () => {
    const t = setup({ waitMs: 5_000, paceMs: 5_000 });
    t.queueRoom.set('ep_1', 2);
    t.pacing.cappedOnly.add('ep_1');
    t.repo.existing.mockRejectedValueOnce(new Error('connection terminated'));
    await expect(t.intake.accept([t.request(1), t.request(2)])).rejects.toThrow('connection terminated');
    // Read again (the consumer retries the batch): the room is free, so it goes in at once, direct.
    const again = t.intake.accept([t.request(1), t.request(2)]);
    await new Promise((r) => setTimeout(r, 20));
    expect(t.submitted.map((j) => j.id)).toEqual(['dlv_1', 'dlv_2']);
    for (const job of t.submitted) job.direct?.settle('recorded');
    await expect(again).resolves.toEqual({ inserted: 0, dispatched: 2, direct: 2 });
  });
});

describe('DeliveryIntakeService: a request read again while another call is still taking it', () => {
  it('is not sent twice: the second call waits for the first one\'s work before its batch may commit', async () => {
    const t = setup({ waitMs: 5_000 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    // The first call has chosen the direct path and waits for its read of existing rows…
    t.repo.existing.mockImplementationOnce(async () => (await gate, new Set<string>()));
    let firstDone = false;
    let secondDone = false;
    const first = t.intake.accept([t.request(1)]).then((r) => ((firstDone = true), r));
    await new Promise((r) => setImmediate(r));
    // …when a replaced consumer reads the message again, and the endpoint's queue is full by now:
    // without the hand-over it would be written a due row (the scheduler sends it) and sent direct too.
    t.queueRoom.set('ep_1', 0);
    const second = t.intake.accept([t.request(1), t.request(2, 'ep_2')]).then((r) => ((secondDone = true), r));
    await new Promise((r) => setTimeout(r, 20));
    open();
    await new Promise((r) => setTimeout(r, 20));
    expect(t.repo.insertNew).not.toHaveBeenCalled();
    expect(t.submitted.map((j) => j.id).sort()).toEqual(['dlv_1', 'dlv_2']);
    t.submitted.find((j) => j.id === 'dlv_2')?.direct?.settle('recorded');
    await new Promise((r) => setTimeout(r, 20));
    expect([firstDone, secondDone]).toEqual([false, false]); // the second waits for dlv_1's work too
    t.submitted.find((j) => j.id === 'dlv_1')?.direct?.settle('recorded');
    await expect(first).resolves.toEqual({ inserted: 0, dispatched: 1, direct: 1 });
    await expect(second).resolves.toEqual({ inserted: 0, dispatched: 1, direct: 1 });
  });
});

describe('DeliveryIntakeService: pacing metrics', () => {
  const read = async () => {
    const waits = await metricsRegistry.getSingleMetric('hookstream_delivery_intake_pace_seconds')?.get();
    const count = (ended: string) => waits?.values.find((v) => (v as { metricName?: string }).metricName === 'hookstream_delivery_intake_pace_seconds_count' && v.labels['ended'] === ended)?.value ?? 0;
    const stalls = (await metricsRegistry.getSingleMetric('hookstream_delivery_intake_stalled_endpoints_total')?.get())?.values[0]?.value ?? 0;
    return { room: count('room'), stalled: count('stalled'), bound: count('bound'), stalls };
  };

  it('counts each paced batch by how its wait ended, and the endpoints given up on as stalled', async () => {
    const before = await read();
    const t = setup({ waitMs: 0, paceMs: 60 });
    await t.intake.accept([t.request(1)]); // room at once
    t.queueRoom.set('ep_1', 0);
    t.pacing.cappedOnly.add('ep_1');
    await t.intake.accept([t.request(2)]); // held by the cap: waits the whole bound
    const s = setup({ waitMs: 0, paceMs: 5_000 });
    s.queueRoom.set('ep_1', 0);
    await s.intake.accept([s.request(3)]); // a slow endpoint: given up on
    const after = await read();
    expect({ room: after.room - before.room, stalled: after.stalled - before.stalled, bound: after.bound - before.bound, stalls: after.stalls - before.stalls })
      .toEqual({ room: 1, stalled: 1, bound: 1, stalls: 1 });
  });
});

describe('DeliveryIntakeService: hookstream_delivery_intake_requests_total', () => {
  const counts = async (): Promise<Record<string, number>> => {
    const metric = await metricsRegistry.getSingleMetric('hookstream_delivery_intake_requests_total')?.get();
    return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels['path']), v.value]));
  };

  it('counts each request once, by the path it took', async () => {
    const before = await counts();
    expect(Object.keys(before).sort()).toEqual(['direct', 'direct_row', 'redelivered', 'row_first']);
    // dlv_1 redelivered; dlv_2 direct and recorded; dlv_3 direct, not recorded in time (row); dlv_4 to an endpoint with no room in its queue (row first).
    const t = setup({ waitMs: 30, existing: ['dlv_1'] });
    t.queueRoom.set('ep_2', 0);
    const accepted = t.intake.accept([t.request(1), t.request(2), t.request(3), t.request(4, 'ep_2')]);
    await new Promise((r) => setImmediate(r));
    t.submitted.find((j) => j.id === 'dlv_2')?.direct?.settle('recorded');
    await accepted;
    const after = await counts();
    const delta = (path: string) => (after[path] ?? 0) - (before[path] ?? 0);
    expect([delta('redelivered'), delta('direct'), delta('direct_row'), delta('row_first')]).toEqual([1, 1, 1, 1]);
  });
});
