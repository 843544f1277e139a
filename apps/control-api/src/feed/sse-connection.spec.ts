import { SseConnection, type SseSink } from './sse-connection';

class FakeSink implements SseSink {
  written: string[] = [];
  accepting = true;
  destroyed = false;
  writableEnded = false;
  private drainListeners: (() => void)[] = [];
  write(chunk: string): boolean {
    this.written.push(chunk);
    return this.accepting;
  }
  once(_event: 'drain', listener: () => void): unknown {
    this.drainListeners.push(listener);
    return this;
  }
  drain(): void {
    this.accepting = true;
    const ls = this.drainListeners;
    this.drainListeners = [];
    for (const l of ls) l();
  }
  destroy(): void {
    this.destroyed = true;
  }
  end(): void {
    this.writableEnded = true;
  }
}

describe('SseConnection', () => {
  afterEach(() => jest.useRealTimers());

  it('stops writing once write() answers false and flushes the queued frames in order on drain', () => {
    const sink = new FakeSink();
    const c = new SseConnection(sink, { maxBufferedBytes: 1000, maxStallMs: 10_000 }, () => undefined);
    sink.accepting = false;
    c.send('a');
    c.send('b');
    c.send('c');
    expect(sink.written).toEqual(['a']);
    expect(c.bufferedBytes).toBe(2);
    sink.drain();
    expect(sink.written).toEqual(['a', 'b', 'c']);
    expect(c.bufferedBytes).toBe(0);
    c.close();
  });

  it('drops a reader whose queue would exceed the byte bound, and frees the queue', () => {
    const sink = new FakeSink();
    const drops: string[] = [];
    const c = new SseConnection(sink, { maxBufferedBytes: 10, maxStallMs: 10_000 }, (r) => drops.push(r));
    sink.accepting = false;
    expect(c.send('first')).toBe(true);
    expect(c.send('12345')).toBe(true);
    expect(c.send('1234')).toBe(true);
    expect(c.send('xx')).toBe(false);
    expect(sink.destroyed).toBe(true);
    expect(c.bufferedBytes).toBe(0);
    expect(drops).toEqual([expect.stringContaining('more than 10 bytes')]);
    expect(c.send('after')).toBe(false);
    expect(sink.written).toEqual(['first']);
  });

  it('drops a reader that does not drain within the stall bound', () => {
    jest.useFakeTimers();
    const sink = new FakeSink();
    const drops: string[] = [];
    const c = new SseConnection(sink, { maxBufferedBytes: 1_000_000, maxStallMs: 5000 }, (r) => drops.push(r));
    sink.accepting = false;
    c.send('frame');
    jest.advanceTimersByTime(4999);
    expect(sink.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(sink.destroyed).toBe(true);
    expect(drops).toEqual([expect.stringContaining('did not drain within 5000 ms')]);
  });

  it('keeps a reader that drains in time', () => {
    jest.useFakeTimers();
    const sink = new FakeSink();
    const c = new SseConnection(sink, { maxBufferedBytes: 1000, maxStallMs: 5000 }, () => undefined);
    sink.accepting = false;
    c.send('a');
    jest.advanceTimersByTime(4000);
    sink.drain();
    jest.advanceTimersByTime(10_000);
    expect(sink.destroyed).toBe(false);
    c.close();
    expect(sink.writableEnded).toBe(true);
  });
});
