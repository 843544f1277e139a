import { KeyedMutex } from './keyed-mutex';

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedMutex', () => {
  it('runs work on shared keys one after another, in arrival order, and disjoint work at once', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    let releaseA!: () => void;
    const a = m.run(['x', 'y'], async () => {
      log.push('a start');
      await new Promise<void>((r) => (releaseA = r));
      log.push('a end');
    });
    const b = m.run(['y'], async () => void log.push('b'));
    const c = m.run(['z'], async () => void log.push('c'));
    await tick();
    expect(log).toEqual(['a start', 'c']);
    releaseA();
    await Promise.all([a, b, c]);
    expect(log).toEqual(['a start', 'c', 'a end', 'b']);
    expect(m.size).toBe(0);
  });

  it('never deadlocks on overlapping key sets taken in different orders', async () => {
    const m = new KeyedMutex();
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => m.run(i % 2 ? ['p', 'q', `k${i}`] : [`k${i}`, 'q', 'p'], async () => {
        await tick();
        done.push(i);
      })),
    );
    expect(done).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('releases the keys when the work fails', async () => {
    const m = new KeyedMutex();
    await expect(m.run(['x'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(m.run(['x'], async () => 42)).resolves.toBe(42);
    expect(m.size).toBe(0);
  });
});
