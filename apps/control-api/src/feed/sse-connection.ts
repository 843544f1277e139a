/** What an SSE connection writes to: an http.ServerResponse in the app, a fake in unit tests. */
export interface SseSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  destroy(): void;
  end(): void;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
}

export interface SseLimits {
  /** Frames held back while the socket is not draining; beyond this the reader is too slow and is dropped. */
  maxBufferedBytes: number;
  /** A reader that has not drained for this long is dropped too, however little is queued. */
  maxStallMs: number;
}

/**
 * One Server-Sent Events response that honours `write()` backpressure: once `write()` answers
 * false nothing more is handed to the socket until it drains; frames wait in a queue bounded in
 * bytes. A reader that lets the queue overflow, or does not drain within `maxStallMs`, is
 * dropped (the connection is destroyed; an EventSource or the dashboard reconnects and refetches
 * the list). Memory per connection is therefore bounded by the socket's own buffer plus
 * `maxBufferedBytes`, whatever the event rate.
 */
export class SseConnection {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private draining = false;
  private stallTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly sink: SseSink,
    private readonly limits: SseLimits,
    private readonly onDrop: (reason: string) => void,
  ) {}

  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /** Waiting for the socket to drain: frames are being held back. */
  get congested(): boolean {
    return this.draining && !this.isClosed;
  }

  get isClosed(): boolean {
    return this.closed || this.sink.writableEnded || this.sink.destroyed;
  }

  /** Queues or writes one frame; false once the connection is closed or was dropped. */
  send(frame: string): boolean {
    if (this.isClosed) return false;
    if (this.draining) {
      const size = Buffer.byteLength(frame);
      if (this.queuedBytes + size > this.limits.maxBufferedBytes) {
        this.drop(`slow reader: more than ${this.limits.maxBufferedBytes} bytes waiting for the socket to drain`);
        return false;
      }
      this.queue.push(frame);
      this.queuedBytes += size;
      return true;
    }
    if (!this.sink.write(frame)) this.waitForDrain();
    return true;
  }

  /** Ends the response normally (shutdown, client gone). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clear();
    if (!this.sink.writableEnded && !this.sink.destroyed) this.sink.end();
  }

  private waitForDrain(): void {
    this.draining = true;
    this.stallTimer = setTimeout(() => this.drop(`slow reader: the socket did not drain within ${this.limits.maxStallMs} ms`), this.limits.maxStallMs);
    this.sink.once('drain', () => this.flush());
  }

  private flush(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.draining = false;
    if (this.isClosed) return;
    while (this.queue.length > 0) {
      const frame = this.queue.shift() as string;
      this.queuedBytes -= Buffer.byteLength(frame);
      if (!this.sink.write(frame)) {
        this.waitForDrain();
        return;
      }
    }
  }

  private drop(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clear();
    this.onDrop(reason);
    this.sink.destroy();
  }

  private clear(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}
