import { PartitionMerger, type MergedCall } from './partition-merger';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('PartitionMerger', () => {
  it('chunks of one topic submitted in the same turn become one call, each partition in submission order', async () => {
    const m = new PartitionMerger<string>(100);
    const calls: { items: string[]; partitions: number[] }[] = [];
    const call: MergedCall<string> = async (items, partitions) => {
      calls.push({ items, partitions });
    };
    const outcomes = await Promise.all([m.submit('t', 2, ['2a', '2b'], call), m.submit('t', 0, ['0a'], call), m.submit('t', 5, ['5a', '5b', '5c'], call)]);
    expect(calls).toEqual([{ items: ['2a', '2b', '0a', '5a', '5b', '5c'], partitions: [2, 0, 5] }]);
    expect(outcomes.map((o) => o.kind)).toEqual(['handled', 'handled', 'handled']);
    expect(m.stats).toMatchObject({ merged: 1, partitions: 3, alone: 0, failed: 0 });
  });

  it('a chunk with no company is sent back alone, and nothing is called', async () => {
    const m = new PartitionMerger<string>(100);
    let called = 0;
    const o = await m.submit('t', 1, ['a'], async () => {
      called++;
    });
    expect(o).toEqual({ kind: 'alone' });
    expect(called).toBe(0);
  });

  it('different topics and different turns are never merged', async () => {
    const m = new PartitionMerger<string>(100);
    const calls: string[][] = [];
    const call: MergedCall<string> = async (items) => {
      calls.push(items);
    };
    const first = await Promise.all([m.submit('a', 0, ['a0'], call), m.submit('b', 0, ['b0'], call)]);
    expect(first.map((o) => o.kind)).toEqual(['alone', 'alone']);
    const p0 = m.submit('a', 0, ['x'], call);
    await turn();
    const p1 = m.submit('a', 1, ['y'], call);
    expect((await p0).kind).toBe('alone');
    expect((await p1).kind).toBe('alone');
    expect(calls).toEqual([]);
  });

  it('a call holds at most maxItems; a chunk that does not fit opens another call; a full chunk goes alone at once', async () => {
    const m = new PartitionMerger<number>(5);
    const calls: number[][] = [];
    const call: MergedCall<number> = async (items) => {
      calls.push(items);
    };
    const full = m.submit('t', 9, [1, 2, 3, 4, 5], call);
    const out = await Promise.all([m.submit('t', 0, [10, 11, 12], call), m.submit('t', 1, [20, 21, 22], call), m.submit('t', 2, [30, 31], call), m.submit('t', 3, [40], call), full]);
    expect(calls).toEqual([[10, 11, 12, 30, 31], [20, 21, 22, 40]]);
    expect(out.map((o) => o.kind)).toEqual(['handled', 'handled', 'handled', 'handled', 'alone']);
  });

  it('a failed call reports the error to every partition in it', async () => {
    const m = new PartitionMerger<string>(100);
    const boom = new Error('boom');
    const call: MergedCall<string> = async () => {
      throw boom;
    };
    const out = await Promise.all([m.submit('t', 0, ['a'], call), m.submit('t', 1, ['b'], call)]);
    expect(out).toEqual([{ kind: 'failed', error: boom }, { kind: 'failed', error: boom }]);
    expect(m.stats.failed).toBe(1);
  });
});
