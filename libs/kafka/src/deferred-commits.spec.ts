import { asDeferred, DeferredCommit, PartitionTrail } from './deferred-commits';

function work(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

/** A trail whose commits are recorded, acknowledged at once unless `refuse` says otherwise. */
function setup(refuse: (next: string) => Error | undefined = () => undefined, retryMs = 20) {
  const sent: string[] = [];
  const committed: [number, string][] = [];
  const failed: [string, number, string][] = [];
  const trail = new PartitionTrail(
    {
      commit: async (next) => {
        sent.push(next);
        const err = refuse(next);
        if (err) throw err;
      },
      committed: (count, next) => committed.push([count, next]),
      retryable: (err) => !(err as Error).message.includes('REBALANCE'),
      failed: (first, dropped, err) => failed.push([first, dropped, (err as Error).message]),
    },
    retryMs,
  );
  return { trail, sent, committed, failed };
}

describe('PartitionTrail: deferred work commits in offset order', () => {
  it('a chunk done later than the one after it holds that one\'s commit back; both commit together once it is done', async () => {
    const t = setup();
    const a = work();
    const b = work();
    t.trail.add('0', '3', 3, a.promise);
    t.trail.add('3', '5', 2, b.promise);
    b.resolve();
    await flush();
    expect(t.sent).toEqual([]);
    expect(t.trail.pending).toBe(5);
    a.resolve();
    await flush();
    expect(t.sent).toEqual(['5']);
    expect(t.committed).toEqual([[5, '5']]);
    expect(t.trail.pending).toBe(0);
    expect(t.trail.idle).toBe(true);
  });

  it('a chunk without deferred work commits at once when nothing below it is pending, and waits behind pending work otherwise', async () => {
    const t = setup();
    t.trail.add('0', '1', 1);
    await flush();
    expect(t.sent).toEqual(['1']);
    const a = work();
    t.trail.add('1', '2', 1, a.promise);
    t.trail.add('2', '3', 1);
    await flush();
    expect(t.sent).toEqual(['1']);
    a.resolve();
    await flush();
    expect(t.sent).toEqual(['1', '3']);
  });

  it('failed work: what settled below it commits, nothing from it on; the partition is to be read again from its first offset', async () => {
    const t = setup();
    const a = work();
    const b = work();
    const c = work();
    t.trail.add('0', '2', 2, a.promise);
    t.trail.add('2', '4', 2, b.promise);
    t.trail.add('4', '5', 1, c.promise);
    a.resolve();
    b.reject(new Error('PostgreSQL went away'));
    await flush();
    expect(t.failed).toEqual([['2', 3, 'PostgreSQL went away']]);
    expect(t.sent).toEqual(['2']);
    // The dropped chunk settling later commits nothing; its records are read again and added anew.
    c.resolve();
    await flush();
    expect(t.sent).toEqual(['2']);
    t.trail.add('2', '5', 3);
    await flush();
    expect(t.sent).toEqual(['2', '5']);
    expect(t.committed).toEqual([[2, '2'], [3, '5']]);
  });

  it('a commit that fails transiently is sent again, with the newest offset', async () => {
    let refusals = 2;
    const t = setup(() => (refusals-- > 0 ? new Error('Connection error: ECONNREFUSED') : undefined));
    t.trail.add('0', '1', 1);
    await flush();
    t.trail.add('1', '2', 1);
    expect(await t.trail.whenIdle(2_000)).toBe(true);
    expect(t.sent[0]).toBe('1');
    expect(t.sent[t.sent.length - 1]).toBe('2');
    expect(t.committed.reduce((n, [c]) => n + c, 0)).toBe(2);
  });

  it('a commit refused because the group changed gives the trail up: its work is read again from the committed offset', async () => {
    const t = setup(() => new Error('The group is rebalancing (REBALANCE_IN_PROGRESS)'));
    const a = work();
    t.trail.add('0', '1', 1);
    t.trail.add('1', '2', 1, a.promise);
    await flush();
    expect(t.trail.pending).toBe(0);
    a.resolve();
    await flush();
    expect(t.sent).toEqual(['1']);
    expect(t.committed).toEqual([]);
  });

  it('reset() drops pending work (counting it) and whenIdle answers at once', async () => {
    const t = setup();
    const a = work();
    t.trail.add('0', '4', 4, a.promise);
    expect(await t.trail.whenIdle(30)).toBe(false);
    expect(t.trail.reset()).toBe(4);
    expect(await t.trail.whenIdle(30)).toBe(true);
    a.resolve();
    await flush();
    expect(t.sent).toEqual([]);
  });

  it('whenIdle resolves as soon as the last work settles and its commit is acknowledged', async () => {
    const t = setup();
    const a = work();
    t.trail.add('0', '1', 1, a.promise);
    const idle = t.trail.whenIdle(5_000);
    setTimeout(() => a.resolve(), 20);
    expect(await idle).toBe(true);
    expect(t.sent).toEqual(['1']);
  });
});

describe('asDeferred', () => {
  it('recognises a DeferredCommit and nothing else', () => {
    const d = new DeferredCommit(Promise.resolve());
    expect(asDeferred(d)).toBe(d);
    expect(asDeferred({ settled: Promise.resolve() })).toBeUndefined();
    expect(asDeferred(undefined)).toBeUndefined();
    expect(asDeferred(null)).toBeUndefined();
  });
});

describe('DeferredCommit', () => {
  it('a rejection nobody tracks does not surface as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      new DeferredCommit(Promise.reject(new Error('never tracked')));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
