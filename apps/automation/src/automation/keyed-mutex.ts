/**
 * Mutual exclusion by key, for work that touches several keys at once: `run(keys, fn)` starts
 * `fn` once every earlier `run` sharing a key with it has finished. A caller registers on all of
 * its keys synchronously before it waits, so waits only ever point at earlier callers: no
 * deadlock, whatever the key sets.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: Iterable<string>, fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const earlier: Promise<void>[] = [];
    for (const k of unique) {
      const tail = this.tails.get(k);
      if (tail) earlier.push(tail);
      this.tails.set(k, mine);
    }
    try {
      await Promise.all(earlier);
      return await fn();
    } finally {
      release();
      for (const k of unique) if (this.tails.get(k) === mine) this.tails.delete(k);
    }
  }

  /** Keys held or waited for (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
