import type { Consumer } from 'kafkajs';
import { SupervisedConsumer } from './supervised-consumer';

/** A kafkajs consumer stand-in: joins when run, and emits what the test tells it to. */
class FakeConsumer {
  readonly events = { FETCH: 'fetch', REBALANCING: 'rebalancing', GROUP_JOIN: 'join', CRASH: 'crash' } as const;
  private readonly listeners = new Map<string, ((e: { payload: Record<string, unknown> }) => void)[]>();
  stopped = false;
  disconnected = false;
  on(event: string, fn: (e: { payload: Record<string, unknown> }) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
  }
  emit(event: string, payload: Record<string, unknown> = {}): void {
    for (const fn of this.listeners.get(event) ?? []) fn({ payload });
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }
}

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function setup(opts: { stallTimeoutMs?: number; busy?: () => boolean } = {}) {
  const consumers: FakeConsumer[] = [];
  const runs: FakeConsumer[] = [];
  const s = new SupervisedConsumer({
    label: 'the feed tail',
    bootWhat: 'tail the feed topics',
    create: () => {
      const c = new FakeConsumer();
      consumers.push(c);
      return c as unknown as Consumer;
    },
    // What the caller's run does (connect, subscribe, run, seek) is called for every consumer, the replacements too.
    run: async (c) => {
      runs.push(c as unknown as FakeConsumer);
      (c as unknown as FakeConsumer).emit('join');
    },
    logger: quiet,
    ...opts,
  });
  return { s, consumers, runs };
}

describe('SupervisedConsumer: the recovery the hand-rolled consumers share with the transport', () => {
  it('is not ready before the join, ready after; stop() stops and disconnects the consumer', async () => {
    const { s, consumers } = setup();
    expect(s.health()).toEqual({ ok: false, detail: 'joining the feed tail' });
    await s.start();
    expect(s.health()).toEqual({ ok: true, detail: 'the feed tail consuming' });
    await s.stop();
    expect([consumers[0].stopped, consumers[0].disconnected, s.isJoined]).toEqual([true, true, false]);
  });

  it('a crash kafkajs will not restart from is replaced: a new consumer, run again (where the caller seeks), counted', async () => {
    const { s, consumers, runs } = setup();
    await s.start();
    consumers[0].emit('crash', { error: new Error('The group member needs to have a valid member id'), restart: false });
    await sleep(20);
    expect(consumers).toHaveLength(2);
    expect(runs).toEqual(consumers);
    expect(consumers[0].disconnected).toBe(true);
    expect(s.restarts).toBe(1);
    expect(s.health().ok).toBe(true);
    await s.stop();
  });

  it('a crash kafkajs restarts from itself is left to kafkajs', async () => {
    const { s, consumers } = setup();
    await s.start();
    consumers[0].emit('crash', { error: new Error('Connection error'), restart: true });
    await sleep(20);
    expect(consumers).toHaveLength(1);
    expect(s.restarts).toBe(0);
    await s.stop();
  });

  it('no fetch for stallTimeoutMs: not ready, then replaced; while the caller is busy it is not a stall', async () => {
    let busy = true;
    const { s, consumers } = setup({ stallTimeoutMs: 150, busy: () => busy });
    await s.start();
    await sleep(400);
    expect(consumers).toHaveLength(1);
    expect(s.health().ok).toBe(true);
    busy = false;
    await sleep(400);
    expect(consumers.length).toBeGreaterThanOrEqual(2);
    expect(consumers[0].disconnected).toBe(true);
    expect(s.restarts).toBeGreaterThanOrEqual(1);
    await s.stop();
  });
});
