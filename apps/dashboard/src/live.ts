import { authHeaders } from './api';
import { SseParser } from './sse';
import type { EventSummary } from './types';

export type LiveState = 'connecting' | 'live' | 'offline';
type EventListener = (e: EventSummary) => void;
type StateListener = (s: LiveState) => void;

/** The server pings every 15 s; this long without a byte means the connection is dead. */
const SILENCE_MS = 40_000;

/**
 * The app's one connection to `GET /v1/events/stream`, shared by the feed and the event page.
 * Reconnects with backoff; listeners see each transition to `live`, so a page can reload what it
 * may have missed while offline.
 */
export class LiveFeed {
  private readonly events = new Set<EventListener>();
  private readonly states = new Set<StateListener>();
  private abort: AbortController | null = null;
  state: LiveState = 'offline';

  constructor(private readonly onUnauthorized: () => void) {}

  onEvent(fn: EventListener): () => void {
    this.events.add(fn);
    return () => this.events.delete(fn);
  }

  onState(fn: StateListener): () => void {
    this.states.add(fn);
    return () => this.states.delete(fn);
  }

  start(): void {
    if (this.abort) return;
    const abort = new AbortController();
    this.abort = abort;
    void this.run(abort);
  }

  stop(): void {
    this.abort?.abort();
    this.abort = null;
    this.set('offline');
  }

  private set(s: LiveState): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.states) fn(s);
  }

  private async run(abort: AbortController): Promise<void> {
    let backoff = 1000;
    while (!abort.signal.aborted) {
      this.set('connecting');
      const conn = new AbortController();
      const cancel = () => conn.abort();
      abort.signal.addEventListener('abort', cancel);
      let watchdog = setTimeout(cancel, SILENCE_MS);
      try {
        const res = await fetch('/v1/events/stream', { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: conn.signal, cache: 'no-store' });
        if (res.status === 401) {
          this.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        this.set('live');
        backoff = 1000;
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          clearTimeout(watchdog);
          watchdog = setTimeout(cancel, SILENCE_MS);
          for (const msg of parser.push(value)) {
            if (msg.event !== 'event') continue;
            const summary = JSON.parse(msg.data) as EventSummary;
            for (const fn of this.events) fn(summary);
          }
        }
      } catch {
        // Dropped, refused or timed out: fall through to the reconnect below.
      } finally {
        clearTimeout(watchdog);
        abort.signal.removeEventListener('abort', cancel);
      }
      if (abort.signal.aborted) return;
      this.set('offline');
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 15_000);
    }
  }
}
