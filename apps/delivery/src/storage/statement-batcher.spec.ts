import { StatementBatcher } from './statement-batcher';

/** A statement whose round trips the test completes by hand. */
function manualStatement() {
  const calls: { items: number[]; finish: (out?: string[]) => void; fail: (err: Error) => void }[] = [];
  const run = (items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ items, finish: (out) => resolve(out ?? items.map((i) => `r${i}`)), fail: reject });
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StatementBatcher', () => {
  it('writes a lone item at once and answers each caller with its own result', async () => {
    const st = manualStatement();
    const b = new StatementBatcher({ run: st.run, maxBatch: 10, maxConcurrent: 1 });
    const p = b.add(7);
    await tick();
    expect(st.calls.map((c) => c.items)).toEqual([[7]]);
    st.calls[0].finish();
    await expect(p).resolves.toBe('r7');
  });

  it('groups the items that arrive during a round trip into the next statement, at most maxBatch each', async () => {
    const st = manualStatement();
    const b = new StatementBatcher({ run: st.run, maxBatch: 3, maxConcurrent: 1 });
    const first = b.add(1);
    await tick();
    const rest = [2, 3, 4, 5, 6].map((i) => b.add(i));
    await tick();
    expect(st.calls).toHaveLength(1);
    st.calls[0].finish();
    await first;
    await tick();
    expect(st.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    st.calls[1].finish();
    await tick();
    await tick();
    expect(st.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [5, 6]]);
    st.calls[2].finish();
    await expect(Promise.all(rest)).resolves.toEqual(['r2', 'r3', 'r4', 'r5', 'r6']);
    expect(b.pending).toBe(0);
  });

  it('runs up to maxConcurrent statements side by side', async () => {
    const st = manualStatement();
    const b = new StatementBatcher({ run: st.run, maxBatch: 2, maxConcurrent: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => b.add(i));
    await tick();
    expect(st.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4]]);
    st.calls[1].finish();
    await tick();
    await tick();
    expect(st.calls.map((c) => c.items)).toEqual([[1, 2], [3, 4], [5]]);
    st.calls[0].finish();
    st.calls[2].finish();
    await expect(Promise.all(all)).resolves.toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
  });

  it('fails every caller of a failed statement, and later items still go through', async () => {
    const st = manualStatement();
    const b = new StatementBatcher({ run: st.run, maxBatch: 10, maxConcurrent: 1 });
    const failed = [b.add(1), b.add(2)];
    await tick();
    st.calls[0].fail(new Error('connection lost'));
    for (const p of failed) await expect(p).rejects.toThrow('connection lost');
    const later = b.add(3);
    await tick();
    st.calls[1].finish();
    await expect(later).resolves.toBe('r3');
  });

  it('rejects the batch when the statement answers the wrong number of results', async () => {
    const st = manualStatement();
    const b = new StatementBatcher({ run: st.run, maxBatch: 10, maxConcurrent: 1 });
    const ps = [b.add(1), b.add(2)];
    await tick();
    st.calls[0].finish(['only one']);
    for (const p of ps) await expect(p).rejects.toThrow('1 result(s) for 2 item(s)');
  });
});
