import { CommitCoalescer, PartitionCommits, type CommitOffsets } from './commit-coalescer';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A fake broker: every commit request stays open until the test answers it. */
function broker() {
  const requests: { topics: { topic: string; partitions: { partition: number; offset: string }[] }[]; answer: (err?: Error) => void }[] = [];
  const commit: CommitOffsets = (offsets) => new Promise<void>((resolve, reject) => requests.push({ topics: offsets.topics, answer: (err) => (err ? reject(err) : resolve()) }));
  return { requests, commit };
}

describe('CommitCoalescer', () => {
  it('commits of several partitions asked for together go out as one request, and each resolves when it is acknowledged', async () => {
    const b = broker();
    const c = new CommitCoalescer();
    const consumer = {};
    const done: string[] = [];
    const all = [0, 1, 2].map((p) => c.commit(consumer, b.commit, 't', p, String(10 + p)).then(() => done.push(`t${p}`)));
    const other = c.commit(consumer, b.commit, 'u', 0, '5').then(() => done.push('u0'));
    await tick();
    expect(b.requests).toHaveLength(1);
    expect(b.requests[0]?.topics).toEqual([
      { topic: 't', partitions: [{ partition: 0, offset: '10' }, { partition: 1, offset: '11' }, { partition: 2, offset: '12' }] },
      { topic: 'u', partitions: [{ partition: 0, offset: '5' }] },
    ]);
    expect(done).toEqual([]);
    b.requests[0]?.answer();
    await Promise.all([...all, other]);
    expect(done.sort()).toEqual(['t0', 't1', 't2', 'u0']);
    expect(c.stats).toEqual({ requests: 1, offsets: 4 });
  });

  it('one request in flight per consumer: commits asked for meanwhile wait and share the next one', async () => {
    const b = broker();
    const c = new CommitCoalescer();
    const consumer = {};
    const first = c.commit(consumer, b.commit, 't', 0, '1');
    await tick();
    const second = c.commit(consumer, b.commit, 't', 1, '7');
    const third = c.commit(consumer, b.commit, 't', 0, '3');
    await tick();
    expect(b.requests).toHaveLength(1);
    b.requests[0]?.answer();
    await first;
    await tick();
    expect(b.requests).toHaveLength(2);
    expect(b.requests[1]?.topics).toEqual([{ topic: 't', partitions: [{ partition: 1, offset: '7' }, { partition: 0, offset: '3' }] }]);
    b.requests[1]?.answer();
    await Promise.all([second, third]);
  });

  it('never moves a partition back: two offsets of one partition in a request commit the higher', async () => {
    const b = broker();
    const c = new CommitCoalescer();
    const consumer = {};
    const both = [c.commit(consumer, b.commit, 't', 0, '20'), c.commit(consumer, b.commit, 't', 0, '9')];
    await tick();
    expect(b.requests[0]?.topics).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '20' }] }]);
    b.requests[0]?.answer();
    await Promise.all(both);
  });

  it('a failed request fails every commit it carried (the callers retry or give the batch up); the next request still goes', async () => {
    const b = broker();
    const c = new CommitCoalescer();
    const consumer = {};
    const a = c.commit(consumer, b.commit, 't', 0, '1');
    const d = c.commit(consumer, b.commit, 't', 1, '1');
    await tick();
    b.requests[0]?.answer(Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' }));
    await expect(a).rejects.toThrow(/not aware of this member/);
    await expect(d).rejects.toThrow(/not aware of this member/);
    const again = c.commit(consumer, b.commit, 't', 0, '1');
    await tick();
    expect(b.requests).toHaveLength(2);
    b.requests[1]?.answer();
    await expect(again).resolves.toBeUndefined();
  });

  it('with an interval, a consumer sends at most one request per interval: commits asked for sooner wait and share the next', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const b = broker();
      const c = new CommitCoalescer(200);
      const consumer = {};
      const first = c.commit(consumer, b.commit, 't', 0, '1');
      await tick();
      expect(b.requests).toHaveLength(1);
      b.requests[0]?.answer();
      await first;
      const later = [c.commit(consumer, b.commit, 't', 0, '4'), c.commit(consumer, b.commit, 't', 1, '2')];
      await tick();
      jest.advanceTimersByTime(150);
      await tick();
      expect(b.requests).toHaveLength(1);
      jest.advanceTimersByTime(60);
      await tick();
      expect(b.requests).toHaveLength(2);
      expect(b.requests[1]?.topics).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '2' }] }]);
      b.requests[1]?.answer();
      await Promise.all(later);
      // Hurried (the consumer is closing): the next commit goes out at once.
      const last = c.commit(consumer, b.commit, 't', 0, '9');
      await tick();
      expect(b.requests).toHaveLength(2);
      c.hurry(consumer);
      await tick();
      expect(b.requests).toHaveLength(3);
      b.requests[2]?.answer();
      await last;
    } finally {
      jest.useRealTimers();
    }
  });

  it('consumers never share a request (a replaced consumer commits through its own group membership)', async () => {
    const old = broker();
    const next = broker();
    const c = new CommitCoalescer();
    const a = c.commit({}, old.commit, 't', 0, '1');
    const d = c.commit({}, next.commit, 't', 0, '2');
    await tick();
    expect(old.requests).toHaveLength(1);
    expect(next.requests).toHaveLength(1);
    old.requests[0]?.answer();
    next.requests[0]?.answer();
    await Promise.all([a, d]);
  });
});

describe('PartitionCommits', () => {
  /** One partition's commits through a real coalescer and the fake broker. */
  function partition() {
    const b = broker();
    const c = new CommitCoalescer();
    const consumer = {};
    const committed: { count: number; offset: string }[] = [];
    const pc = new PartitionCommits((offset) => c.commit(consumer, b.commit, 't', 0, offset), (count, offset) => committed.push({ count, offset }));
    return { b, pc, committed };
  }

  it('sends each commit without waiting for the previous one; commits asked for during a round trip share the next request; settle waits for the newest', async () => {
    const { b, pc, committed } = partition();
    pc.issue('1', 1);
    await tick();
    expect(b.requests).toHaveLength(1);
    // Two more messages handled while the first commit is on the wire.
    pc.issue('2', 1);
    pc.issue('3', 1);
    let settled = false;
    const s = pc.settle().then(() => (settled = true));
    await tick();
    expect(b.requests).toHaveLength(1);
    b.requests[0]?.answer();
    await tick();
    await tick();
    expect(b.requests).toHaveLength(2);
    expect(b.requests[1]?.topics).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '3' }] }]);
    expect(settled).toBe(false);
    expect(committed).toEqual([{ count: 1, offset: '1' }]);
    b.requests[1]?.answer();
    await s;
    // Offsets 2 and 3 were acknowledged by the same request: every handled message is counted once.
    expect(committed).toEqual([{ count: 1, offset: '1' }, { count: 1, offset: '2' }, { count: 1, offset: '3' }]);
  });

  it('a failed commit is reported by settle, and the next settle sends the newest offset again', async () => {
    const { b, pc, committed } = partition();
    pc.issue('5', 5);
    await tick();
    b.requests[0]?.answer(new Error('coordinator not available'));
    await expect(pc.settle()).rejects.toThrow('coordinator not available');
    expect(pc.failed).toBe(true);
    const again = pc.settle();
    await tick();
    expect(b.requests).toHaveLength(2);
    expect(b.requests[1]?.topics).toEqual([{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }]);
    b.requests[1]?.answer();
    await again;
    expect(pc.failed).toBe(false);
    expect(committed).toEqual([{ count: 5, offset: '5' }]);
  });

  it('drain waits for the commit on the wire without sending it again', async () => {
    const { b, pc } = partition();
    pc.issue('2', 2);
    await tick();
    const d = pc.drain();
    b.requests[0]?.answer(new Error('rebalancing'));
    await d;
    await tick();
    expect(b.requests).toHaveLength(1);
  });
});
