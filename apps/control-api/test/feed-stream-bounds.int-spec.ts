import { IdPrefix, newId, Topics, type CanonicalEvent } from '@hookstream/contracts';
import { testKafka, uniqueName, waitFor } from '@hookstream/testing';
import type { Producer } from 'kafkajs';
import { connect, type Socket } from 'node:net';
import { FeedStreamService } from '../src/feed/feed-stream.service';
import { startControlApi, type TestApp } from './control-api.harness';

/** A canonical event whose summary frame is about `bytes` long (the product name carries the bulk). */
function bigEvent(accountId: string, bytes: number): CanonicalEvent {
  const id = newId(IdPrefix.event);
  return {
    id, accountId, sourceId: 'src_bounds', type: 'purchase', occurredAt: new Date().toISOString(), receivedAt: new Date().toISOString(), initiatedFrom: 'api',
    person: { email: null, firstName: 'Sarah', lastName: null, ip: null, nameSource: 'payload' },
    location: { city: null, state: null, stateCode: null, country: null, countryCode: null, source: 'payload' },
    product: { id: null, name: 'x'.repeat(bytes), link: null, image: null, price: null, quantity: null }, products: [], amount: null, currency: null,
    attributes: {}, dialect: 'activly', dedupeKey: `content:${id}`, enrichment: { applied: [], warnings: [] },
  } as unknown as CanonicalEvent;
}

/** Opens a stream with a raw socket and stops reading once the headers are in: a reader that never keeps up. */
async function stalledReader(baseUrl: string, key: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const u = new URL(baseUrl);
  const socket = connect(Number(u.port), u.hostname);
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(`GET /v1/events/stream HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${key}\r\n\r\n`);
  await new Promise<void>((resolve) => {
    let head = '';
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes(': connected')) {
        socket.off('data', onData);
        socket.pause();
        resolve();
      }
    };
    socket.on('data', onData);
  });
  return { socket, closed };
}

describe('live stream bounds (real Kafka, real sockets)', () => {
  let t: TestApp;
  let producer: Producer;

  beforeAll(async () => {
    t = await startControlApi({ FEED_STREAM_MAX_PER_ACCOUNT: '2', FEED_STREAM_MAX_BUFFER_BYTES: '65536', FEED_STREAM_MAX_STALL_MS: '10000' }, { listen: true });
    await waitFor(() => t.app.get(FeedStreamService).isLive || undefined, { timeoutMs: 30_000, what: 'the tail consumer to join' });
    producer = testKafka(uniqueName('bounds')).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await t?.close();
  });

  it('answers 429 too_many_streams beyond FEED_STREAM_MAX_PER_ACCOUNT, per account, and frees the slot when a stream closes', async () => {
    const a = await t.newAccount();
    const b = await t.newAccount();
    const open = async (key: string) => {
      const ctrl = new AbortController();
      const res = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: { authorization: `Bearer ${key}` }, signal: ctrl.signal });
      return { res, ctrl };
    };
    const first = await open(a.key);
    const second = await open(a.key);
    expect([first.res.status, second.res.status]).toEqual([200, 200]);
    const third = await open(a.key);
    expect(third.res.status).toBe(429);
    const body = (await third.res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('too_many_streams');
    expect(body.error.message).toContain('FEED_STREAM_MAX_PER_ACCOUNT');
    // Another account is not affected.
    const other = await open(b.key);
    expect(other.res.status).toBe(200);

    first.ctrl.abort();
    await waitFor(() => t.app.get(FeedStreamService).connections(a.accountId) === 1 || undefined, { what: 'the closed stream to be released' });
    const again = await open(a.key);
    expect(again.res.status).toBe(200);
    for (const s of [second, other, again]) s.ctrl.abort();
    await waitFor(() => t.app.get(FeedStreamService).connections(a.accountId) === 0 || undefined, { what: 'every stream to be released' });
  });

  it('drops a reader that does not keep up once its held-back frames pass the byte bound, while a reader that keeps up gets every frame', async () => {
    const a = await t.newAccount();
    const svc = t.app.get(FeedStreamService);
    const droppedBefore = svc.droppedSlowReaders;

    // The healthy reader counts the frames it gets.
    const ctrl = new AbortController();
    const res = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: { authorization: `Bearer ${a.key}` }, signal: ctrl.signal });
    let frames = 0;
    let buf = '';
    const reading = (async () => {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          if (buf.slice(0, i).startsWith('event: event')) frames++;
          buf = buf.slice(i + 2);
        }
      }
    })();

    const slow = await stalledReader(t.baseUrl as string, a.key);
    expect(svc.connections(a.accountId)).toBe(2);

    // 600 frames of ~20 KB (12 MB): far more than the socket buffers of a reader that never reads.
    const COUNT = 600;
    for (let i = 0; i < COUNT; i += 10) {
      const msgs = Array.from({ length: 10 }, () => {
        const e = bigEvent(a.accountId, 20_000);
        return { key: a.accountId, value: JSON.stringify(e) };
      });
      await producer.send({ topic: Topics.eventsEnriched, messages: msgs });
    }

    await waitFor(() => svc.droppedSlowReaders > droppedBefore || undefined, { timeoutMs: 30_000, what: 'the slow reader to be dropped' });
    // The server destroyed its socket: reading again, the client sees the end.
    slow.socket.resume();
    await slow.closed;
    expect(svc.connections(a.accountId)).toBe(1);
    await waitFor(() => frames >= COUNT || undefined, { timeoutMs: 30_000, what: `the healthy reader to get all ${COUNT} frames (has ${frames})` });
    ctrl.abort();
    await reading;
  });
});
