import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker';
import { TokenBucket } from './token-bucket';

export interface DispatchJob {
  /** Lane key: every job of one endpoint shares its queue, limits and circuit. */
  endpointId: string;
}

/** What an attempt says about the endpoint's health, for its circuit breaker. */
export type RunVerdict = 'success' | 'failure' | 'neutral';

/**
 * A run may end its use of the endpoint before all of its work is done: `verdict` is known once
 * the endpoint answered, and `after` (recording the outcome) runs on with one of the global
 * `maxRecording` slots; it no longer holds the endpoint's `maxConcurrency` slot nor a `maxInFlight` one.
 */
export interface RunResult {
  verdict: RunVerdict;
  after?: Promise<void>;
}

export interface EndpointLimits {
  maxConcurrency: number;
  /** null = no rate limit. */
  rateLimitPerSecond: number | null;
}

export interface DispatcherOptions<J extends DispatchJob> {
  /** Requests in flight across all endpoints (from the start of a run until the endpoint answered). */
  maxInFlight: number;
  /**
   * Answered attempts whose `after` (publishing and recording the outcome) has not settled yet. No
   * attempt starts while this many are pending, so all the work in progress stays bounded. Unset:
   * `maxInFlight`.
   */
  maxRecording?: number;
  /** Jobs held in memory per endpoint; `submit` refuses beyond this. */
  maxQueuePerEndpoint: number;
  /** Jobs held in memory across all endpoints; `submit` refuses beyond this. Unset: no bound but the lanes'. */
  maxQueued?: number;
  /** Read on every start, so configuration changes apply without a restart. */
  limits: (endpointId: string) => EndpointLimits;
  run: (job: J) => Promise<RunVerdict | RunResult>;
  /** The endpoint's circuit is open: the job is handed back to be tried at `retryAt`. */
  deferred: (job: J, retryAt: Date) => Promise<void>;
  circuit: CircuitBreakerOptions;
  /** `run` or `deferred` threw: nothing else can handle it here. */
  onError: (err: unknown, job: J) => void;
  /** An attempt starts, after `waitedMs` in its endpoint's queue (from `submit`). */
  onStart?: (job: J, waitedMs: number) => void;
  now?: () => number;
}

interface Queued<J> {
  job: J;
  /** When `submit` queued it (`now()`). */
  at: number;
}

interface Lane<J> {
  id: string;
  queue: Queued<J>[];
  head: number;
  active: number;
  breaker: CircuitBreaker;
  bucket: TokenBucket | null;
  timer: NodeJS.Timeout | null;
}

export interface DispatcherStats {
  /** Requests sent and not answered yet. */
  inFlight: number;
  /** Answered attempts whose outcome is still being published and recorded (`after`). */
  recording: number;
  queued: number;
  lanes: number;
}

/**
 * In-process scheduler of outbound attempts. Each endpoint has its own FIFO lane with a
 * concurrency limit, an optional rate limit and a circuit breaker; global caps bound the
 * requests in flight and the answered attempts still being recorded. Lanes are served round-robin from a set of *runnable* lanes only — a lane
 * at its concurrency limit, waiting for a rate token or for a half-open probe is not in
 * that set — so a slow endpoint ties up at most its own `maxConcurrency` slots and its own
 * queue, never the turn of another endpoint.
 */
export class Dispatcher<J extends DispatchJob> {
  private readonly lanes = new Map<string, Lane<J>>();
  /** Insertion order is the round-robin order. */
  private readonly runnable = new Set<string>();
  private inFlight = 0;
  private recording = 0;
  private readonly maxRecording: number;
  private readonly maxQueued: number;
  private queued = 0;
  private pumping = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: DispatcherOptions<J>) {
    this.now = opts.now ?? Date.now;
    this.maxRecording = opts.maxRecording ?? opts.maxInFlight;
    this.maxQueued = opts.maxQueued ?? Number.POSITIVE_INFINITY;
  }

  /** Queues a job; false when the endpoint's queue or all queues together are full (the job stays durable elsewhere). */
  submit(job: J): boolean {
    if (this.stopped || this.queued >= this.maxQueued) return false;
    const lane = this.lane(job.endpointId);
    if (lane.queue.length - lane.head >= this.opts.maxQueuePerEndpoint) return false;
    lane.queue.push({ job, at: this.now() });
    this.queued++;
    if (!lane.timer) this.runnable.add(lane.id);
    this.pump();
    return true;
  }

  stats(): DispatcherStats {
    return { inFlight: this.inFlight, recording: this.recording, queued: this.queued, lanes: this.lanes.size };
  }

  /** Lanes whose circuit is open or half-open (an open lane is never dropped, so all are counted). */
  openCircuits(): number {
    let n = 0;
    for (const lane of this.lanes.values()) if (lane.breaker.state !== 'closed') n++;
    return n;
  }

  circuitState(endpointId: string): CircuitState {
    return this.lanes.get(endpointId)?.breaker.state ?? 'closed';
  }

  /**
   * Lanes holding at least `threshold` queued jobs while their endpoint's own limits hold them back
   * (`heldByItsLimits`: a slow, rate-limited or tripped endpoint), and how many jobs (queued + in
   * flight) they hold: the scheduler leaves their due rows in the table, and neither it nor the
   * intake lets their backlog count against the room for other endpoints. A lane queued that deep
   * only because this process is busy (the global in-flight or recording cap holds it) is not
   * crowded: its backlog is this process's own work, and counting it keeps the rest of a burst in
   * Kafka. Not counted, every lane of a busy process filled to `maxQueuePerEndpoint`, seconds of work,
   * and requests sent direct waited in them past DELIVERY_DIRECT_WAIT_MS (bench/README.md, session 33).
   */
  crowdedLanes(threshold: number): { endpointIds: string[]; backlog: number } {
    const endpointIds: string[] = [];
    let backlog = 0;
    for (const lane of this.lanes.values()) {
      const queued = lane.queue.length - lane.head;
      if (queued >= threshold && this.laneHeldByItsLimits(lane)) {
        endpointIds.push(lane.id);
        backlog += queued + lane.active;
      }
    }
    return { endpointIds, backlog };
  }

  /** Jobs queued or in flight outside the crowded lanes (those with at least `threshold` queued). */
  backlogOutside(threshold: number): number {
    return this.queued + this.inFlight - this.crowdedLanes(threshold).backlog;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Jobs `submit` would still take now across all endpoints (`maxQueued` less what is queued; 0 once stopped). */
  totalQueueRoom(): number {
    if (this.stopped) return 0;
    return Math.max(0, this.maxQueued - this.queued);
  }

  /** Jobs `submit` would still take for the endpoint now (its queue's free room, within all queues' room; 0 once stopped). */
  queueRoom(endpointId: string): number {
    if (this.stopped) return 0;
    return Math.max(0, Math.min(this.opts.maxQueuePerEndpoint - this.queuedFor(endpointId), this.maxQueued - this.queued));
  }

  /**
   * Whether the endpoint's own limits are what hold its queued jobs back now: all its concurrency
   * slots in use, a rate-limit token or a half-open probe awaited. False when they wait only for
   * the global in-flight cap (the process is busy, not the endpoint) or nothing is queued.
   */
  heldByItsLimits(endpointId: string): boolean {
    const lane = this.lanes.get(endpointId);
    return lane !== undefined && this.hasQueued(lane) && this.laneHeldByItsLimits(lane);
  }

  private laneHeldByItsLimits(lane: Lane<J>): boolean {
    if (lane.timer || lane.breaker.state !== 'closed') return true;
    return lane.active >= Math.max(1, this.opts.limits(lane.id).maxConcurrency);
  }

  queuedFor(endpointId: string): number {
    const lane = this.lanes.get(endpointId);
    return lane ? lane.queue.length - lane.head : 0;
  }

  /**
   * Frees an endpoint's lane, circuit breaker and rate bucket (the endpoint was deleted), with
   * the jobs still queued for it: they are durable in the table. Jobs in flight finish and are
   * not counted against a lane any more. Returns how many queued jobs were dropped.
   */
  forget(endpointId: string): number {
    const lane = this.lanes.get(endpointId);
    if (!lane) return 0;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = null;
    const dropped = lane.queue.length - lane.head;
    lane.queue = [];
    lane.head = 0;
    this.queued -= dropped;
    this.runnable.delete(endpointId);
    this.lanes.delete(endpointId);
    this.notifyIdle();
    return dropped;
  }

  /** Stops taking work and drops what is queued (it is durable in the table); in-flight jobs finish. */
  stop(): void {
    this.stopped = true;
    for (const lane of this.lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = null;
      lane.queue = [];
      lane.head = 0;
    }
    this.queued = 0;
    this.runnable.clear();
    this.notifyIdle();
  }

  /** Resolves when nothing is queued, in flight or being recorded, or after `timeoutMs`. */
  idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(waiter);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs);
        timer.unref();
      }
    });
  }

  private isIdle(): boolean {
    return this.inFlight === 0 && this.recording === 0 && this.queued === 0;
  }

  private notifyIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private lane(id: string): Lane<J> {
    let lane = this.lanes.get(id);
    if (!lane) {
      lane = { id, queue: [], head: 0, active: 0, breaker: new CircuitBreaker(this.opts.circuit, this.now), bucket: null, timer: null };
      this.lanes.set(id, lane);
    }
    return lane;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inFlight < this.opts.maxInFlight && this.recording < this.maxRecording) {
        const next = this.runnable.values().next();
        if (next.done) break;
        const lane = this.lanes.get(next.value) as Lane<J>;
        this.runnable.delete(lane.id);
        // Re-adding after one start moves the lane to the back: one job per lane per round.
        if (this.startOne(lane) === 'started' && this.hasQueued(lane)) this.runnable.add(lane.id);
      }
    } finally {
      this.pumping = false;
    }
  }

  private hasQueued(lane: Lane<J>): boolean {
    return lane.queue.length > lane.head;
  }

  private take(lane: Lane<J>): Queued<J> {
    const entry = lane.queue[lane.head++];
    this.queued--;
    // Compact now and then instead of shift(), which is O(n) per call on long queues.
    if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
      lane.queue = lane.queue.slice(lane.head);
      lane.head = 0;
    }
    return entry;
  }

  /** 'blocked' lanes leave the runnable set until a finish, a timer or a probe puts them back. */
  private startOne(lane: Lane<J>): 'started' | 'blocked' | 'empty' {
    if (!this.hasQueued(lane)) return 'empty';
    const limits = this.opts.limits(lane.id);
    if (lane.active >= Math.max(1, limits.maxConcurrency)) return 'blocked';

    const permit = lane.breaker.check();
    if (permit.kind === 'reject') {
      // Hand the whole queue back rather than hold it in memory for the cool-down.
      const retryAt = new Date(permit.retryAt);
      while (this.hasQueued(lane)) {
        const { job } = this.take(lane);
        this.opts.deferred(job, retryAt).catch((err: unknown) => this.opts.onError(err, job));
      }
      this.notifyIdle();
      return 'empty';
    }
    if (permit.kind === 'wait') return 'blocked';

    const rate = limits.rateLimitPerSecond;
    if (rate !== null && rate > 0) {
      if (!lane.bucket || lane.bucket.ratePerSecond !== rate) lane.bucket = new TokenBucket(rate, this.now);
      if (!lane.bucket.tryTake()) {
        const wait = lane.bucket.msUntilToken();
        lane.timer = setTimeout(() => {
          lane.timer = null;
          if (this.hasQueued(lane)) this.runnable.add(lane.id);
          this.pump();
        }, Math.max(1, wait));
        return 'blocked';
      }
    } else {
      lane.bucket = null;
    }

    lane.breaker.acquire();
    const { job, at } = this.take(lane);
    this.opts.onStart?.(job, this.now() - at);
    lane.active++;
    this.inFlight++;
    void this.execute(lane, job);
    return 'started';
  }

  private async execute(lane: Lane<J>, job: J): Promise<void> {
    let verdict: RunVerdict = 'neutral';
    let after: Promise<void> | undefined;
    try {
      const r = await this.opts.run(job);
      if (typeof r === 'string') verdict = r;
      else ({ verdict, after } = r);
    } catch (err) {
      this.opts.onError(err, job);
    } finally {
      lane.active--;
      // The endpoint's slot and the request's in-flight slot are free now. Until `after` settles
      // the attempt holds a recording slot instead, so the work still being recorded stays
      // bounded (by maxRecording) without keeping requests from starting meanwhile.
      this.inFlight--;
      if (after) this.recording++;
      if (verdict === 'success') lane.breaker.onSuccess();
      else if (verdict === 'failure') lane.breaker.onFailure();
      else lane.breaker.onNeutral();
      // A forgotten lane (deleted endpoint) is no longer in the map: it must not come back.
      const current = this.lanes.get(lane.id) === lane;
      if (current && this.hasQueued(lane) && !lane.timer && !this.stopped) this.runnable.add(lane.id);
      else if (current && !this.hasQueued(lane) && lane.active === 0 && !lane.timer && lane.breaker.pristine) this.lanes.delete(lane.id);
      this.pump();
      this.notifyIdle();
    }
    if (!after) return;
    try {
      await after;
    } catch (err) {
      this.opts.onError(err, job);
    } finally {
      this.recording--;
      this.pump();
      this.notifyIdle();
    }
  }
}
