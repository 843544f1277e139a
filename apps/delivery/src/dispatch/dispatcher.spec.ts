import { Dispatcher, type DispatcherOptions, type EndpointLimits, type RunVerdict } from './dispatcher';

interface Job {
  endpointId: string;
  n: number;
}

/** A fake sender: every job stays in flight until the test answers it. */
class FakeSender {
  readonly started: Job[] = [];
  private readonly open = new Map<Job, (v: RunVerdict) => void>();

  readonly run = (job: Job): Promise<RunVerdict> =>
    new Promise<RunVerdict>((resolve) => {
      this.started.push(job);
      this.open.set(job, resolve);
    });

  inFlight(endpointId?: string): Job[] {
    return [...this.open.keys()].filter((j) => endpointId === undefined || j.endpointId === endpointId);
  }

  answer(job: Job, verdict: RunVerdict = 'success'): void {
    const r = this.open.get(job);
    if (!r) throw new Error(`job ${job.endpointId}#${job.n} is not in flight`);
    this.open.delete(job);
    r(verdict);
  }

  startedFor(endpointId: string): number[] {
    return this.started.filter((j) => j.endpointId === endpointId).map((j) => j.n);
  }
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function make(
  sender: FakeSender,
  limits: Record<string, Partial<EndpointLimits>> = {},
  overrides: Partial<DispatcherOptions<Job>> = {},
): { d: Dispatcher<Job>; deferred: { job: Job; at: Date }[]; errors: unknown[] } {
  const deferred: { job: Job; at: Date }[] = [];
  const errors: unknown[] = [];
  const d = new Dispatcher<Job>({
    maxInFlight: 100,
    maxQueuePerEndpoint: 1000,
    limits: (id) => ({ maxConcurrency: 5, rateLimitPerSecond: null, ...limits[id] }),
    run: sender.run,
    deferred: async (job, at) => {
      deferred.push({ job, at });
    },
    circuit: { failureThreshold: 3, cooldownMs: 10_000 },
    onError: (err) => errors.push(err),
    ...overrides,
  });
  return { d, deferred, errors };
}

function submitMany(d: Dispatcher<Job>, endpointId: string, count: number, from = 0): boolean[] {
  return Array.from({ length: count }, (_, i) => d.submit({ endpointId, n: from + i }));
}

describe('Dispatcher', () => {
  it('a slow endpoint only fills its own queue: another endpoint is served at once', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, { slow: { maxConcurrency: 2 }, fast: { maxConcurrency: 2 } });
    submitMany(d, 'slow', 50);
    submitMany(d, 'fast', 3);
    expect(sender.inFlight('slow')).toHaveLength(2);
    expect(sender.inFlight('fast')).toHaveLength(2);

    // The fast endpoint's jobs complete and the next one starts while "slow" still hangs.
    for (const j of sender.inFlight('fast')) sender.answer(j);
    await flush();
    expect(sender.startedFor('fast')).toEqual([0, 1, 2]);
    expect(sender.inFlight('slow')).toHaveLength(2);
    expect(d.queuedFor('slow')).toBe(48);
  });

  it('reports how long each job waited in its queue when its attempt starts', async () => {
    const sender = new FakeSender();
    let clock = 1_000;
    const waits: [number, number][] = [];
    const { d } = make(sender, { a: { maxConcurrency: 1 } }, { now: () => clock, onStart: (job, waitedMs) => waits.push([job.n, waitedMs]) });
    submitMany(d, 'a', 2);
    clock += 40;
    d.submit({ endpointId: 'a', n: 2 });
    expect(waits).toEqual([[0, 0]]);
    clock += 250;
    sender.answer(sender.inFlight('a')[0] as Job);
    await flush();
    clock += 10;
    sender.answer(sender.inFlight('a')[0] as Job);
    await flush();
    // Job 1 was queued at 1,000 and started at 1,290; job 2 was queued at 1,040 and started at 1,300.
    expect(waits).toEqual([[0, 0], [1, 290], [2, 260]]);
  });

  it('never exceeds an endpoint concurrency limit and keeps FIFO order within it', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, { a: { maxConcurrency: 3 } });
    submitMany(d, 'a', 10);
    let maxSeen = 0;
    while (sender.inFlight('a').length > 0) {
      maxSeen = Math.max(maxSeen, sender.inFlight('a').length);
      sender.answer(sender.inFlight('a')[0]);
      await flush();
    }
    expect(maxSeen).toBe(3);
    expect(sender.startedFor('a')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('caps the total in flight and shares freed slots round-robin between endpoints', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, {}, { maxInFlight: 2 });
    submitMany(d, 'a', 4);
    submitMany(d, 'b', 4);
    expect(sender.inFlight()).toHaveLength(2);
    expect(d.stats()).toEqual({ inFlight: 2, recording: 0, queued: 6, lanes: 2 });
    while (sender.inFlight().length > 0) {
      expect(sender.inFlight().length).toBeLessThanOrEqual(2);
      sender.answer(sender.inFlight()[0]);
      await flush();
    }
    // After the first two (only "a" had work then), freed slots alternate while both have work.
    const turns = sender.started.slice(2, 6).map((j) => j.endpointId).join('');
    expect(turns).toMatch(/^(ab){2}$|^(ba){2}$/);
    expect(sender.started).toHaveLength(8);
  });

  it('says how many more jobs an endpoint\'s queue takes: exactly what submit then accepts; none once stopped', () => {
    const sender = new FakeSender();
    const { d } = make(sender, { a: { maxConcurrency: 1 } }, { maxQueuePerEndpoint: 3 });
    expect(d.queueRoom('a')).toBe(3);
    submitMany(d, 'a', 2); // one starts, one waits
    expect(d.queueRoom('a')).toBe(2);
    expect(submitMany(d, 'a', 3, 2)).toEqual([true, true, false]);
    expect(d.queueRoom('a')).toBe(0);
    expect(d.queueRoom('b')).toBe(3);
    d.stop();
    expect(d.queueRoom('b')).toBe(0);
  });

  it('tells a queue held by its endpoint\'s own concurrency from one held only by the global in-flight cap', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, { a: { maxConcurrency: 2 }, b: { maxConcurrency: 10 } }, { maxInFlight: 4 });
    submitMany(d, 'a', 3); // 2 start: a's own limit holds the third
    submitMany(d, 'b', 4); // 2 start: the global cap (4) holds the other two
    expect(sender.inFlight()).toHaveLength(4);
    expect(d.heldByItsLimits('a')).toBe(true);
    expect(d.heldByItsLimits('b')).toBe(false);
    expect(d.heldByItsLimits('c')).toBe(false); // no lane
    for (const job of sender.inFlight('b')) sender.answer(job);
    await flush();
    expect(d.queuedFor('b')).toBe(0);
    expect(d.heldByItsLimits('b')).toBe(false); // nothing queued
  });

  it('refuses a job when the endpoint queue is full, without affecting other endpoints', () => {
    const sender = new FakeSender();
    const { d } = make(sender, { a: { maxConcurrency: 1 } }, { maxQueuePerEndpoint: 2 });
    const accepted = submitMany(d, 'a', 4);
    // One in flight, two queued, the fourth refused.
    expect(accepted).toEqual([true, true, true, false]);
    expect(d.submit({ endpointId: 'b', n: 0 })).toBe(true);
  });

  it('bounds the jobs queued across all endpoints: beyond maxQueued every lane refuses, and takes again once jobs start', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, { a: { maxConcurrency: 1 }, b: { maxConcurrency: 1 }, c: { maxConcurrency: 1 } }, { maxQueuePerEndpoint: 10, maxQueued: 3 });
    // One in flight per lane (not queued), then 3 queued in all.
    expect(submitMany(d, 'a', 3)).toEqual([true, true, true]);
    expect(d.queueRoom('a')).toBe(1);
    expect(d.queueRoom('b')).toBe(1);
    expect(submitMany(d, 'b', 3)).toEqual([true, true, false]);
    expect(d.stats().queued).toBe(3);
    expect(d.queueRoom('c')).toBe(0);
    expect(d.submit({ endpointId: 'c', n: 0 })).toBe(false);
    sender.answer(sender.inFlight('a')[0]); // a's next job starts: 2 queued
    await flush();
    expect(d.stats().queued).toBe(2);
    expect(d.queueRoom('c')).toBe(1);
    expect(d.submit({ endpointId: 'c', n: 0 })).toBe(true);
    expect(sender.inFlight('c')).toHaveLength(1);
  });

  it('names the crowded lanes and the backlog they hold, so the scheduler can skip them', () => {
    const sender = new FakeSender();
    const { d } = make(sender, { slow: { maxConcurrency: 2 }, fast: { maxConcurrency: 2 } });
    submitMany(d, 'slow', 7);
    submitMany(d, 'fast', 3);
    // slow: 2 in flight + 5 queued; fast: 2 in flight + 1 queued.
    expect(d.crowdedLanes(3)).toEqual({ endpointIds: ['slow'], backlog: 7 });
    expect(d.crowdedLanes(1)).toEqual({ endpointIds: ['slow', 'fast'], backlog: 10 });
    expect(d.crowdedLanes(6)).toEqual({ endpointIds: [], backlog: 0 });
    // What the intake paces on: the backlog outside the crowded lanes.
    expect(d.backlogOutside(3)).toBe(3);
    expect(d.backlogOutside(1)).toBe(0);
    expect(d.backlogOutside(6)).toBe(10);
  });

  it('does not count a lane as crowded when only the global in-flight cap holds its queue (the process is busy, not the endpoint)', () => {
    const sender = new FakeSender();
    const { d } = make(sender, { busy: { maxConcurrency: 10 }, slow: { maxConcurrency: 1 } }, { maxInFlight: 4 });
    submitMany(d, 'slow', 4); // 1 in flight (its own limit) + 3 queued
    submitMany(d, 'busy', 8); // 3 in flight (the global cap) + 5 queued
    expect(sender.inFlight('busy')).toHaveLength(3);
    expect(d.crowdedLanes(3)).toEqual({ endpointIds: ['slow'], backlog: 4 });
    // The busy lane's backlog is this process's own: the intake paces on it.
    expect(d.backlogOutside(3)).toBe(8);
  });

  it('opens the circuit after consecutive failures and hands queued jobs back with the retry time', async () => {
    let t = 1_000_000;
    const sender = new FakeSender();
    const { d, deferred } = make(sender, { dead: { maxConcurrency: 1 } }, { now: () => t });
    submitMany(d, 'dead', 6);
    submitMany(d, 'ok', 1);
    for (let i = 0; i < 3; i++) {
      sender.answer(sender.inFlight('dead')[0], 'failure');
      await flush();
    }
    expect(d.circuitState('dead')).toBe('open');
    expect(sender.startedFor('dead')).toEqual([0, 1, 2]);
    expect(deferred.map((x) => x.job.n)).toEqual([3, 4, 5]);
    expect(deferred.every((x) => x.at.getTime() === t + 10_000)).toBe(true);
    // New work for the dead endpoint is handed back at once, not parked in memory.
    d.submit({ endpointId: 'dead', n: 6 });
    expect(deferred.map((x) => x.job.n)).toContain(6);
    expect(d.queuedFor('dead')).toBe(0);
    // The other endpoint was never affected.
    expect(sender.startedFor('ok')).toEqual([0]);
    t += 1;
  });

  it('sends one half-open probe after the cool-down and resumes when it succeeds', async () => {
    let t = 0;
    const sender = new FakeSender();
    const { d } = make(sender, { e: { maxConcurrency: 4 } }, { now: () => t, circuit: { failureThreshold: 1, cooldownMs: 1000 } });
    d.submit({ endpointId: 'e', n: 0 });
    sender.answer(sender.inFlight('e')[0], 'failure');
    await flush();
    expect(d.circuitState('e')).toBe('open');

    t += 1000;
    submitMany(d, 'e', 3, 1);
    expect(sender.inFlight('e').map((j) => j.n)).toEqual([1]);
    expect(d.queuedFor('e')).toBe(2);

    sender.answer(sender.inFlight('e')[0], 'success');
    await flush();
    expect(d.circuitState('e')).toBe('closed');
    expect(sender.inFlight('e').map((j) => j.n)).toEqual([2, 3]);
  });

  it('spaces requests by the endpoint rate limit', async () => {
    jest.useFakeTimers();
    try {
      const sender = new FakeSender();
      const { d } = make(sender, { r: { maxConcurrency: 10, rateLimitPerSecond: 2 }, free: { maxConcurrency: 10 } });
      submitMany(d, 'r', 5);
      submitMany(d, 'free', 5);
      expect(sender.startedFor('r')).toHaveLength(2);
      expect(sender.startedFor('free')).toHaveLength(5);
      jest.advanceTimersByTime(500);
      expect(sender.startedFor('r')).toHaveLength(3);
      jest.advanceTimersByTime(1000);
      expect(sender.startedFor('r')).toHaveLength(5);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reports errors thrown by run and keeps going', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const d = new Dispatcher<Job>({
      maxInFlight: 10,
      maxQueuePerEndpoint: 10,
      limits: () => ({ maxConcurrency: 1, rateLimitPerSecond: null }),
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return 'success';
      },
      deferred: async () => undefined,
      circuit: { failureThreshold: 3, cooldownMs: 1000 },
      onError: (err) => errors.push(err),
    });
    submitMany(d, 'a', 2);
    await expect(d.idle(1000)).resolves.toBe(true);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
  });
  it('frees a deleted endpoint\'s lane and breaker, even with its circuit open and jobs queued or in flight', async () => {
    const sender = new FakeSender();
    const { d } = make(sender, { gone: { maxConcurrency: 1 } });
    // Three failures open the circuit: the lane is no longer pristine and would stay forever.
    for (let i = 0; i < 3; i++) {
      d.submit({ endpointId: 'gone', n: i });
      await flush();
      sender.answer(sender.inFlight('gone')[0], 'failure');
      await flush();
    }
    expect(d.circuitState('gone')).toBe('open');
    expect(d.stats().lanes).toBe(1);

    // Another dispatcher shows the in-flight case: one job running, two queued behind it.
    const busy = make(sender, { busy2: { maxConcurrency: 1 } }).d;
    submitMany(busy, 'busy2', 3);
    await flush();
    expect(busy.stats()).toMatchObject({ inFlight: 1, queued: 2, lanes: 1 });

    expect(d.forget('gone')).toBe(0);
    expect(d.circuitState('gone')).toBe('closed');
    expect(d.stats().lanes).toBe(0);
    expect(busy.forget('busy2')).toBe(2);
    expect(busy.stats()).toMatchObject({ inFlight: 1, queued: 0, lanes: 0 });
    // The job in flight finishes: nothing of the lane comes back, nothing else is started.
    sender.answer(sender.inFlight('busy2')[0], 'failure');
    await flush();
    expect(busy.stats()).toEqual({ inFlight: 0, recording: 0, queued: 0, lanes: 0 });
    expect(sender.startedFor('busy2')).toEqual([0]);
    await expect(busy.idle(100)).resolves.toBe(true);
    expect(d.forget('never-seen')).toBe(0);
  });
});

describe('Dispatcher: work after the endpoint answered', () => {
  /** Each run answers at once with a verdict and an `after` the test settles. */
  function withAfter() {
    const afters: { job: Job; resolve: () => void; reject: (e: Error) => void }[] = [];
    const started: Job[] = [];
    const run = (job: Job) => {
      started.push(job);
      const after = new Promise<void>((resolve, reject) => afters.push({ job, resolve, reject }));
      return Promise.resolve({ verdict: 'success' as const, after });
    };
    return { afters, started, run };
  }

  it('frees the endpoint slot and the in-flight slot at the verdict; `after` holds a recording slot until it settles', async () => {
    const w = withAfter();
    const { d } = make(new FakeSender(), { a: { maxConcurrency: 1 } }, { maxInFlight: 1, maxRecording: 3, run: w.run });
    submitMany(d, 'a', 5);
    await flush();
    // One request at a time (endpoint and process), yet three started: each answered before the
    // next, and the recording cap is what stops the fourth.
    expect(w.started.map((j) => j.n)).toEqual([0, 1, 2]);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 3, queued: 2 }));
    expect(await d.idle(20)).toBe(false);
    w.afters[0]?.resolve();
    await flush();
    expect(w.started.map((j) => j.n)).toEqual([0, 1, 2, 3]);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 3, queued: 1 }));
    for (const a of w.afters) a.resolve();
    await flush();
    for (const a of w.afters) a.resolve();
    await expect(d.idle(1000)).resolves.toBe(true);
    expect(w.started).toHaveLength(5);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 0, queued: 0 }));
  });

  it('attempts being recorded do not take the in-flight slots: requests go on while results are recorded', async () => {
    // Runs that answer only when the test says so, then record until the test says so.
    const answers: (() => void)[] = [];
    const afters: (() => void)[] = [];
    const run = () =>
      new Promise<{ verdict: 'success'; after: Promise<void> }>((resolve) => {
        answers.push(() => resolve({ verdict: 'success', after: new Promise<void>((r) => afters.push(r)) }));
      });
    const { d } = make(new FakeSender(), { a: { maxConcurrency: 10 } }, { maxInFlight: 2, maxRecording: 100, run });
    submitMany(d, 'a', 6);
    await flush();
    expect(answers).toHaveLength(2);
    answers[0]();
    answers[1]();
    await flush();
    // Two attempts are still being recorded, and two more requests are in flight.
    expect(answers).toHaveLength(4);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 2, recording: 2, queued: 2 }));
    answers[2]();
    answers[3]();
    await flush();
    expect(answers).toHaveLength(6);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 2, recording: 4, queued: 0 }));
    answers[4]();
    answers[5]();
    await flush();
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 6 }));
    expect(await d.idle(20)).toBe(false);
    for (const r of afters) r();
    await expect(d.idle(1000)).resolves.toBe(true);
  });

  it('without maxRecording, the recording cap is maxInFlight: starts stop once that many are being recorded', async () => {
    const w = withAfter();
    const { d } = make(new FakeSender(), { a: { maxConcurrency: 10 } }, { maxInFlight: 2, run: w.run });
    submitMany(d, 'a', 5);
    await flush();
    // Two start at once; the first answer leaves one being recorded (< 2), so a third starts; then
    // two are being recorded and nothing more starts. The work in progress stays within both caps.
    expect(w.started).toHaveLength(3);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 3, queued: 2 }));
    for (const a of w.afters) a.resolve();
    await flush();
    for (const a of w.afters) a.resolve();
    await expect(d.idle(1000)).resolves.toBe(true);
  });

  it('an `after` that fails is reported like a failed run, and its slot is freed', async () => {
    const w = withAfter();
    const { d, errors } = make(new FakeSender(), {}, { run: w.run });
    submitMany(d, 'a', 1);
    await flush();
    w.afters[0]?.reject(new Error('result not acknowledged'));
    await expect(d.idle(1000)).resolves.toBe(true);
    expect(errors).toEqual([expect.objectContaining({ message: 'result not acknowledged' })]);
    expect(d.stats()).toEqual(expect.objectContaining({ inFlight: 0, recording: 0 }));
  });
});
