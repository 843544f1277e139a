import { Inject, Injectable } from '@nestjs/common';
import type { DeliveryRequestDto } from '@hookstream/contracts';
import { APP_CONFIG, counter, histogram, LATENCY_BUCKETS } from '@hookstream/platform';
import { crowdedLaneThreshold, dispatcherBuffer, type DeliveryConfig } from '../delivery.config';
import { AttemptService, type DeliveryJob } from '../attempts/attempt.service';
import { DirectAttempt } from '../attempts/direct-attempt';
import { EndpointCache } from '../config-cache/endpoint.cache';
import { DeliveryDispatcher } from '../dispatch/delivery.dispatcher';
import { DeliveriesRepository, type ClaimedDelivery } from '../storage/deliveries.repository';

const intakeRequests = counter<'path'>({
  name: 'hookstream_delivery_intake_requests_total',
  help:
    'Delivery requests taken from the deliveries topic, by path: row_first (a pending row written before the attempt), ' +
    'direct (sent before any row existed; the row written once, with the outcome), direct_row (sent or queued direct, ' +
    'then given a pending row because the wait ended first), redelivered (its row already existed: not sent again)',
  labelNames: ['path'],
});
for (const path of ['row_first', 'direct', 'direct_row', 'redelivered']) intakeRequests.inc({ path }, 0);

type PaceEnd = 'room' | 'stalled' | 'bound' | 'stopped';

const paceWait = histogram<'ended'>({
  name: 'hookstream_delivery_intake_pace_seconds',
  help:
    'How long each consumed batch waited before it was taken in (DELIVERY_INTAKE_PACE_MS), by how the wait ended: room (the ' +
    'dispatcher had room), stalled (the endpoints still short were given up on as slow or dead), bound (DELIVERY_INTAKE_PACE_MS ' +
    'reached: what has no room is written due for the scheduler), stopped (shutdown)',
  labelNames: ['ended'],
  buckets: LATENCY_BUCKETS,
});
const stalledEndpoints = counter({
  name: 'hookstream_delivery_intake_stalled_endpoints_total',
  help: "Endpoints the intake's pacing gave up on for 5 s: a full queue that stopped draining while the endpoint's own limits held it",
});

/** How often a pacing intake looks at the dispatcher's backlog (in memory, no query). */
const PACE_POLL_MS = 10;
/**
 * A full lane whose queue has not shrunk for this long, and over at least PACE_STALL_POLLS looks,
 * while its endpoint's own limits hold it (a slow or dead endpoint), is not waited for… The looks
 * keep an event loop that ran late from reading as a stall: after a long turn the pacing timer
 * runs before the answers that arrived meanwhile are handled.
 */
const PACE_STALL_MS = 100;
const PACE_STALL_POLLS = 10;
/** …nor again for this long. */
const PACE_STALL_COOL_MS = 5_000;

/** What `take` answers once the batch is handed off: `settled` resolves when the consumer may commit it. */
export interface Intake {
  settled: Promise<AcceptResult>;
}

export interface AcceptResult {
  /** Pending rows written (insert-first path, and direct attempts that needed a row after all). */
  inserted: number;
  dispatched: number;
  /** Sent straight from the topic and recorded as their row, written once. */
  direct: number;
}

/** Queue room promised to one batch, by endpoint, until `release`. */
interface HeldRoom {
  counts: ReadonlyMap<string, number>;
  release: () => void;
}

@Injectable()
export class DeliveryIntakeService {
  /** Endpoints whose full lane stopped draining while the intake waited for room: not waited for until then. */
  private readonly stalled = new Map<string, number>();
  /**
   * Direct jobs sent (or queued) and not yet recorded or given a row, by delivery id: a request
   * read again meanwhile (the partition was sought back after a failure, or rebalanced) joins its
   * job instead of being sent a second time.
   */
  private readonly directInFlight = new Map<string, DeliveryJob>();
  /**
   * Requests a `take` is handling, by delivery id, until its batch may be committed (settled or
   * failed). A request read again while one is still pacing or classifying it (a replaced consumer
   * reads on from the committed offsets while the old handler call runs) waits for that call
   * instead: both calls would otherwise see no row and no direct job, and one could send it
   * direct while the other wrote it a due row for the scheduler — the same delivery sent twice.
   */
  private readonly taking = new Map<string, Promise<unknown>>();
  /**
   * Queue room promised, by endpoint, to requests a `take` has classified but not yet submitted
   * (the read of existing rows or the INSERT lies between). kafkajs hands the batches of several
   * partitions to the handler side by side: without this, each saw the same free room, all were
   * classified direct, and what the queue then refused was handed back and written due for the
   * scheduler (two more row writes each), the more so the more partitions a topic has.
   */
  private readonly promised = new Map<string, number>();
  private promisedTotal = 0;

  constructor(
    private readonly repo: DeliveriesRepository,
    private readonly dispatcher: DeliveryDispatcher,
    private readonly attempts: AttemptService,
    private readonly endpoints: EndpointCache,
    @Inject(APP_CONFIG) private readonly config: DeliveryConfig,
  ) {}

  /**
   * Takes a batch of requests in; resolves once it is handed off, with `settled`, which resolves
   * when the consumer may commit the batch (see `DeliveriesConsumer`, which defers its commit to
   * it). A redelivered request already has its row and is not sent again.
   *
   * Two paths:
   * - **direct** (requests to a known, enabled endpoint whose circuit is closed and which has not
   *   answered slowly lately, when DELIVERY_DIRECT_WAIT_MS > 0, as many as its queue has room
   *   for): sent before any row is written — the Kafka record is the durable copy until `settled` —
   *   and the row is written once, with the attempt's outcome. `settled` waits up to
   *   DELIVERY_DIRECT_WAIT_MS for those attempts; the ones not recorded by then get a pending,
   *   leased row (as on the other path), and an attempt still in flight then writes its outcome
   *   over that row. The consumer fetches on meanwhile: the wait holds back only the commit.
   * - **insert first** (everything else): one INSERT of pending, leased rows (awaited before this
   *   resolves), then dispatch without waiting for any HTTP.
   */
  async take(requests: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string> = new Map()): Promise<Intake> {
    const elsewhere = new Set<Promise<unknown>>();
    const unique: DeliveryRequestDto[] = [];
    for (const r of new Map(requests.map((q) => [q.id, q])).values()) {
      const other = this.taking.get(r.id);
      if (other) elsewhere.add(other);
      else unique.push(r);
    }
    const own = this.takeOwn(unique, traceparents);
    const ownSettled = own.then((i) => i.settled);
    ownSettled.catch(() => undefined);
    for (const r of unique) this.taking.set(r.id, ownSettled);
    const handOver = () => {
      for (const r of unique) if (this.taking.get(r.id) === ownSettled) this.taking.delete(r.id);
    };
    let intake: Intake;
    try {
      intake = await own;
    } catch (err) {
      handOver();
      throw err;
    }
    // Handed over before the consumer sees the outcome: a read after it takes the requests itself.
    const settled = intake.settled.finally(handOver);
    if (elsewhere.size === 0) return { settled };
    // Requests another call is taking: this batch commits only once that call's work settled too
    // (if it failed, so does this batch, and its messages are read again).
    return { settled: Promise.all([settled, ...elsewhere]).then(([result]) => result) };
  }

  private async takeOwn(unique: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string>): Promise<Intake> {
    if (unique.length === 0) return { settled: Promise.resolve({ inserted: 0, dispatched: 0, direct: 0 }) };
    // The room the pacing found is promised to this batch from the moment it was found (a batch of
    // another partition, paced side by side, cannot take it meanwhile), and exchanged below, in the
    // same turn, for the room this batch's direct requests take.
    const held = await this.pace(unique);
    const direct: DeliveryRequestDto[] = [];
    const insertFirst: DeliveryRequestDto[] = [];
    // As many as each endpoint's queue has room for: the rest would wait for a row anyway.
    let heldTotal = 0;
    for (const n of held.counts.values()) heldTotal += n;
    const room = new RoomTally(this.totalRoom() + heldTotal, (id) =>
      this.canSendDirect(id) ? this.roomFor(id) + (held.counts.get(id) ?? 0) : 0,
    );
    for (const r of unique) {
      // Read again while its attempt is in flight: it joins that attempt, and takes no room.
      if (this.directInFlight.has(r.id) || room.take(r.endpointId)) direct.push(r);
      else insertFirst.push(r);
    }
    held.release();
    const releaseDirect = this.promiseRoom(room.taken);
    const [first, sent] = await Promise.all([this.acceptInsertFirst(insertFirst, traceparents), this.sendDirect(direct, traceparents, releaseDirect)]);
    intakeRequests.inc({ path: 'row_first' }, first.inserted);
    const settled = sent.settled.then((d) => {
      intakeRequests.inc({ path: 'direct' }, d.direct);
      intakeRequests.inc({ path: 'direct_row' }, d.inserted);
      intakeRequests.inc({ path: 'redelivered' }, Math.max(0, unique.length - first.inserted - d.direct - d.inserted));
      return { inserted: first.inserted + d.inserted, dispatched: first.dispatched + d.dispatched, direct: d.direct };
    });
    return { settled };
  }

  /** `take`, resolved once the consumer may commit (tests, and callers that do not defer their commit). */
  async accept(requests: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string> = new Map()): Promise<AcceptResult> {
    return (await this.take(requests, traceparents)).settled;
  }

  /**
   * Waits (up to DELIVERY_INTAKE_PACE_MS) while the dispatcher cannot take this batch in yet:
   * - it already holds its buffer of work for endpoints that keep up (crowded lanes — a slow
   *   endpoint holding half its queue — do not count, so a slow endpoint does not hold up the
   *   others' requests), or
   * - an endpoint of the batch has no room left in its queue for its requests while its lane is
   *   draining (its queue shrank within the last PACE_STALL_MS). A lane that stops draining while
   *   its endpoint's own limits hold it (a slow or dead endpoint) is not waited for, nor held for
   *   again for PACE_STALL_COOL_MS. A lane held only by the global in-flight cap (this process is
   *   busy: sends and records in progress) is waited for, up to the bound: giving it up would
   *   write its requests as due rows for the scheduler, two more row writes each, when the process
   *   is already short of time.
   * Without it a burst was taken in far faster than it could be sent: everything beyond the
   * in-memory queues was written due at once and claimed back by the scheduler — a second row
   * write and a read of the request per delivery — while the intake took the CPU the sends
   * needed. Waiting leaves the backlog in Kafka (the consumer commits nothing it has not written),
   * and the wait is bounded, so a partition is never held longer than that per batch.
   */
  private async pace(requests: readonly DeliveryRequestDto[]): Promise<HeldRoom> {
    const wanted = new Map<string, number>();
    for (const r of requests) wanted.set(r.endpointId, (wanted.get(r.endpointId) ?? 0) + 1);
    const maxWait = this.config.DELIVERY_INTAKE_PACE_MS;
    if (!(maxWait > 0)) return this.holdRoom(wanted);
    const started = performance.now();
    const { ended, held } = await this.paceUntil(wanted, maxWait);
    paceWait.observe({ ended }, (performance.now() - started) / 1000);
    return held;
  }

  /** Ends by promising the batch the room there is for it then (in the same turn as the last look). */
  private async paceUntil(wanted: ReadonlyMap<string, number>, maxWait: number): Promise<{ ended: PaceEnd; held: HeldRoom }> {
    const limit = dispatcherBuffer(this.config);
    const threshold = crowdedLaneThreshold(this.config);
    const end = (ended: PaceEnd) => ({ ended, held: this.holdRoom(wanted) });
    const until = Date.now() + maxWait;
    let lastQueued = Number.POSITIVE_INFINITY;
    let lastProgress = Date.now();
    let looks = 0;
    while (!this.dispatcher.isStopped && Date.now() < until) {
      const now = Date.now();
      looks++;
      if (this.dispatcher.backlogOutside(threshold) + this.promisedTotal >= limit) {
        lastProgress = now;
        looks = 0;
      } else {
        let queued = 0;
        const short: string[] = [];
        for (const [endpointId, n] of wanted) {
          if (this.roomFor(endpointId) >= Math.min(n, this.config.DELIVERY_MAX_QUEUE_PER_ENDPOINT) || (this.stalled.get(endpointId) ?? 0) > now) continue;
          short.push(endpointId);
          queued += this.dispatcher.queuedFor(endpointId);
        }
        if (short.length === 0) return end('room');
        if (queued < lastQueued) {
          lastQueued = queued;
          lastProgress = now;
          looks = 0;
        } else if (now - lastProgress >= PACE_STALL_MS && looks >= PACE_STALL_POLLS) {
          const stalled = short.filter((endpointId) => this.dispatcher.heldByItsLimits(endpointId));
          for (const endpointId of stalled) this.stalled.set(endpointId, now + PACE_STALL_COOL_MS);
          if (this.stalled.size > 10_000) this.stalled.clear();
          stalledEndpoints.inc(stalled.length);
          if (stalled.length === short.length) return end('stalled');
          // The others wait on: their lanes are held by the in-flight cap, not their endpoints.
          lastQueued = Number.POSITIVE_INFINITY;
          lastProgress = now;
          looks = 0;
        }
      }
      await new Promise((r) => setTimeout(r, PACE_POLL_MS));
    }
    return end(this.dispatcher.isStopped ? 'stopped' : 'bound');
  }

  /** The endpoint's free queue room, less what earlier calls have promised and not yet submitted. */
  private roomFor(endpointId: string): number {
    return this.dispatcher.queueRoom(endpointId) - (this.promised.get(endpointId) ?? 0);
  }

  /**
   * The room left under DELIVERY_MAX_QUEUED, less everything promised and not yet submitted. Each
   * loop that hands out room counts it down as well as the endpoint's own, so endpoints of one batch
   * are not all promised the same last room.
   */
  private totalRoom(): number {
    return this.dispatcher.totalQueueRoom() - this.promisedTotal;
  }

  /** Promises each endpoint as much of its free room as the batch wants (see `promised`). */
  private holdRoom(wanted: ReadonlyMap<string, number>): HeldRoom {
    const counts = new Map<string, number>();
    let total = this.totalRoom();
    for (const [endpointId, n] of wanted) {
      const free = Math.min(n, this.roomFor(endpointId), total);
      if (free > 0) {
        counts.set(endpointId, free);
        total -= free;
      }
    }
    return { counts, release: this.promiseRoom(counts) };
  }

  /** Promises queue room to requests about to be submitted; the function returned gives it back (once). */
  private promiseRoom(counts: ReadonlyMap<string, number>): () => void {
    if (counts.size === 0) return () => undefined;
    for (const [endpointId, n] of counts) {
      this.promised.set(endpointId, (this.promised.get(endpointId) ?? 0) + n);
      this.promisedTotal += n;
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      for (const [endpointId, n] of counts) {
        const left = (this.promised.get(endpointId) ?? 0) - n;
        if (left > 0) this.promised.set(endpointId, left);
        else this.promised.delete(endpointId);
        this.promisedTotal -= n;
      }
    };
  }

  private canSendDirect(endpointId: string): boolean {
    if (this.config.DELIVERY_DIRECT_WAIT_MS === 0) return false;
    const endpoint = this.endpoints.get(endpointId);
    return (
      endpoint !== undefined &&
      this.endpoints.isEnabled(endpoint) &&
      this.dispatcher.circuitState(endpointId) === 'closed' &&
      !this.attempts.slow.isSlow(endpointId)
    );
  }

  /**
   * One statement of pending rows; the new ones go to the dispatcher at once. Rows beyond what
   * their endpoint's in-memory queue can take now are written due at once, for the scheduler,
   * instead of leased (and released again by a second statement once the queue refused them).
   */
  private async acceptInsertFirst(requests: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string>): Promise<AcceptResult> {
    if (requests.length === 0) return { inserted: 0, dispatched: 0, direct: 0 };
    const room = new RoomTally(this.totalRoom(), (id) => this.roomFor(id));
    const dueNow = new Set<string>();
    for (const r of requests) if (!room.take(r.endpointId)) dueNow.add(r.id);
    // Taken before the INSERT is sent: the lease it writes ends no earlier than this plus its length.
    const leaseUntil = performance.now() + this.config.DELIVERY_LEASE_SECONDS * 1000;
    const createdAt = new Date();
    // Promised until the INSERT is back and its rows are submitted (the loop below runs without a pause).
    const release = this.promiseRoom(room.taken);
    let fresh: ClaimedDelivery[];
    try {
      fresh = await this.repo.insertNew(requests, this.config.DELIVERY_LEASE_SECONDS, dueNow);
    } finally {
      release();
    }
    const byId = new Map(requests.map((r) => [r.id, r]));
    const overflow: DeliveryJob[] = [];
    let dispatched = 0;
    for (const row of fresh) {
      if (dueNow.has(row.id)) continue;
      const job: DeliveryJob = { ...row, traceparent: traceparents.get(row.id), request: byId.get(row.id), leased: { leaseUntil, createdAt, attempts: 0 } };
      if (this.dispatcher.submit(job)) dispatched++;
      else overflow.push(job);
    }
    // The endpoint's queue filled up meanwhile: due now for the scheduler, instead of waiting out the lease.
    if (overflow.length > 0) await this.repo.release(overflow, new Date());
    return { inserted: fresh.length, dispatched, direct: 0 };
  }

  /**
   * Submits the direct jobs (the read of existing rows awaited: a redelivered request is not sent
   * again); answers, without waiting for them, their outcome once each is recorded or has a row.
   */
  private async sendDirect(requests: readonly DeliveryRequestDto[], traceparents: ReadonlyMap<string, string>, releaseRoom: () => void): Promise<Intake> {
    const none: Intake = { settled: Promise.resolve({ inserted: 0, dispatched: 0, direct: 0 }) };
    if (requests.length === 0) return none;
    const fresh = requests.filter((r) => !this.directInFlight.has(r.id));
    let existing: Set<string>;
    try {
      existing = fresh.length > 0 ? await this.repo.existing(fresh.map((r) => r.id)) : new Set<string>();
    } finally {
      // Given back before the submits below take the room for real (they run without a pause).
      releaseRoom();
    }
    const createdAt = new Date();
    const jobs: DeliveryJob[] = [];
    const joined = new Set<DeliveryJob>();
    let dispatched = 0;
    for (const request of requests) {
      const inFlight = this.directInFlight.get(request.id);
      if (inFlight) {
        jobs.push(inFlight);
        joined.add(inFlight);
        continue;
      }
      if (existing.has(request.id)) continue;
      const direct = new DirectAttempt(createdAt);
      const job: DeliveryJob = { id: request.id, endpointId: request.endpointId, leaseToken: '', traceparent: traceparents.get(request.id), request, direct };
      jobs.push(job);
      this.directInFlight.set(job.id, job);
      void direct.settled.then(() => this.forget(job));
      if (this.dispatcher.submit(job)) dispatched++;
      else direct.bounce();
    }
    if (jobs.length === 0) return none;
    const settled = this.settleDirect(jobs, joined).then((d) => ({ ...d, dispatched }));
    // Unobserved if the insert-first half of the batch failed (the batch is then handled again and joins these jobs).
    settled.catch(() => undefined);
    return { settled };
  }

  /**
   * Waits up to DELIVERY_DIRECT_WAIT_MS for the jobs to be recorded; those that are not get rows.
   * Jobs `joined` (sent for an earlier read of the same request) do not count as sent direct again.
   */
  private async settleDirect(jobs: DeliveryJob[], joined: ReadonlySet<DeliveryJob>): Promise<AcceptResult> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(jobs.map((j) => j.direct?.settled)),
      new Promise<void>((r) => (timer = setTimeout(r, this.config.DELIVERY_DIRECT_WAIT_MS))),
    ]);
    clearTimeout(timer);
    const unrecorded = jobs.filter((j) => j.direct !== undefined && j.direct.settlement !== 'recorded');
    // Counted now: one in flight may record over its row while the rows are written.
    const direct = jobs.filter((j) => j.direct?.settlement === 'recorded' && !joined.has(j)).length;
    const inserted = await this.giveRows(unrecorded);
    for (const j of unrecorded) this.forget(j);
    return { inserted, dispatched: 0, direct };
  }

  private forget(job: DeliveryJob): void {
    if (this.directInFlight.get(job.id) === job) this.directInFlight.delete(job.id);
  }

  /**
   * Direct jobs not recorded in time get a pending row with a lease (ON CONFLICT DO NOTHING):
   * - not started yet (queued): they become ordinary jobs under that lease;
   * - handed back (bounced), or its endpoint deleted meanwhile: the row is due at once, for the scheduler;
   * - in flight: they keep writing their outcome over that row when done (an endpoint counts as
   *   slow by its answer, `SlowEndpoints.observe`, not by the wait: a job may have started late);
   * - failed to publish or record: the lease brings them back, as any unrecorded attempt.
   * A request whose row turns out to exist (another consumer wrote it) is not sent from here.
   */
  private async giveRows(jobs: DeliveryJob[]): Promise<number> {
    if (jobs.length === 0) return 0;
    const leaseUntil = performance.now() + this.config.DELIVERY_LEASE_SECONDS * 1000;
    const createdAt = new Date();
    const rows = await this.repo.insertNew(
      jobs.map((j) => j.request as DeliveryRequestDto),
      this.config.DELIVERY_LEASE_SECONDS,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const due: ClaimedDelivery[] = [];
    for (const job of jobs) {
      const direct = job.direct as DirectAttempt;
      const row = byId.get(job.id);
      if (!row) {
        if (!direct.started) direct.dropped = true;
      } else if (direct.bounced || (!direct.started && this.endpoints.isDeleted(job.endpointId))) {
        // Handed back, or its endpoint was deleted after the bulk cancel ran (its queue was dropped):
        // due at once, so the scheduler cancels it now rather than after the lease.
        direct.dropped = true;
        due.push(row);
      } else if (!direct.started) {
        job.leaseToken = row.leaseToken;
        job.leased = { leaseUntil, createdAt, attempts: 0 };
        job.direct = undefined;
      }
    }
    await this.repo.release(due, new Date());
    return rows.length;
  }
}

/**
 * Room handed out one request at a time within a batch: each endpoint's own (read once, at its
 * first request) and, within that, the room left under DELIVERY_MAX_QUEUED, so endpoints of one
 * batch are not all given the same last room. `taken` is what was handed out, per endpoint.
 */
class RoomTally {
  readonly taken = new Map<string, number>();
  private readonly left = new Map<string, number>();

  constructor(
    private total: number,
    private readonly roomOf: (endpointId: string) => number,
  ) {}

  take(endpointId: string): boolean {
    const free = this.left.get(endpointId) ?? this.roomOf(endpointId);
    this.left.set(endpointId, free - 1);
    if (free <= 0 || this.total <= 0) return false;
    this.taken.set(endpointId, (this.taken.get(endpointId) ?? 0) + 1);
    this.total--;
    return true;
  }
}
