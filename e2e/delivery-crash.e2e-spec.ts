import { IdPrefix, newId, Topics, type DeliveryRequestDto } from '@hookstream/contracts';
import { testKafka, waitFor } from '@hookstream/testing';
import { verify } from '@hookstream/webhooks';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { Pipeline } from './support/pipeline';
import { Receiver } from './support/receiver';

interface Demo {
  accountId: string;
  endpointId: string;
  endpointSecret: string;
}

interface DeliveryRow {
  status: string;
  attempts: number;
  last_http_status: number | null;
}

/**
 * Retries are durable across a crash: the delivery process is SIGKILLed (no shutdown hooks, no
 * drain) while a retry is scheduled, and the restarted process sends it — same webhook-id, a
 * signature that verifies with the endpoint's secret.
 */
describe('delivery crash: a retry pending when the process is killed is delivered after restart', () => {
  // A short schedule: the retry is due ~3 s (±10 %) after the failed first attempt.
  const pipeline = new Pipeline({ DELIVERY_SCHEDULE: '0,3', DELIVERY_POLL_MS: '200' });
  const receiver = new Receiver();
  let kafka: Kafka;
  let db: Client;
  let demo: Demo;

  async function deliveryRow(id: string): Promise<DeliveryRow | undefined> {
    const r = await db.query<DeliveryRow>('SELECT status, attempts, last_http_status FROM deliveries WHERE id = $1', [id]);
    return r.rows[0];
  }

  beforeAll(async () => {
    kafka = testKafka('e2e-delivery-crash');
    // The first attempt fails, every later one succeeds.
    receiver.respond = () => (receiver.received.length === 1 ? 500 : 200);
    const inbox = await receiver.start();

    // control-api first (it migrates the pipeline's database), then the endpoint, then delivery:
    // delivery is ready only once its endpoint cache has caught up, so it knows the endpoint.
    await pipeline.start(['control-api']);
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--json'])) as Demo;
    await pipeline.start(['delivery']);
    db = new Client({ connectionString: pipeline.env['DATABASE_URL'] });
    await db.connect();
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await pipeline.stopAll();
    await receiver.stop();
  });

  it('the delivery app KILLED with a retry pending delivers it after restart', async () => {
    const now = new Date().toISOString();
    const request: DeliveryRequestDto = {
      id: newId(IdPrefix.delivery),
      webhookId: newId(IdPrefix.message),
      accountId: demo.accountId,
      endpointId: demo.endpointId,
      eventId: newId(IdPrefix.event),
      eventType: 'purchase',
      eventTime: now,
      cause: 'subscription',
      createdAt: now,
      data: { id: 'evt_crash', type: 'purchase', person: { email: 'sarah@example.com', firstName: 'Sarah' }, amount: 49 },
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: Topics.deliveries,
      acks: -1,
      messages: [{
        key: request.endpointId,
        value: JSON.stringify(request),
        headers: { ce_id: request.id, ce_type: 'hookstream.delivery.requested', ce_source: '/e2e', ce_time: now, ce_specversion: '1.0' },
      }],
    });
    await producer.disconnect();

    // Attempt 1 answered 500 and is on record with the retry scheduled: kill now, before it is due.
    await waitFor(async () => ((await deliveryRow(request.id))?.status === 'failed' ? true : undefined), { timeoutMs: 30_000, intervalMs: 50, what: 'attempt 1 recorded as failed' });
    const killed = await pipeline.kill('delivery', 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(receiver.received).toHaveLength(1);
    expect(await deliveryRow(request.id)).toEqual({ status: 'failed', attempts: 1, last_http_status: 500 });

    // Nobody sends while the app is down, even once the retry is due.
    await new Promise((r) => setTimeout(r, 4000));
    expect(receiver.received).toHaveLength(1);

    const restartedAt = Date.now();
    await pipeline.restart('delivery');
    const retry = await waitFor(() => receiver.received[1], { timeoutMs: 60_000, what: 'the retry after restart' });
    expect(retry.at).toBeGreaterThanOrEqual(restartedAt);

    const first = receiver.received[0];
    expect(first.headers['webhook-id']).toBe(request.webhookId);
    expect(retry.headers['webhook-id']).toBe(request.webhookId);
    expect(verify(retry.headers, retry.body, [demo.endpointSecret]).ok).toBe(true);
    expect(verify(retry.headers, retry.body, ['whsec_' + Buffer.alloc(32, 7).toString('base64')]).ok).toBe(false);
    expect(JSON.parse(retry.body.toString())).toEqual(JSON.parse(first.body.toString()));

    await waitFor(async () => ((await deliveryRow(request.id))?.status === 'succeeded' ? true : undefined), { timeoutMs: 10_000, what: 'the delivery recorded as succeeded' });
    expect(await deliveryRow(request.id)).toEqual({ status: 'succeeded', attempts: 2, last_http_status: 200 });
    const attempts = await db.query<{ attempt: number; http_status: number }>('SELECT attempt, http_status FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt', [request.id]);
    expect(attempts.rows).toEqual([{ attempt: 1, http_status: 500 }, { attempt: 2, http_status: 200 }]);
    // Exactly once on the receiver's side: the retry was sent once, not once per process.
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.received).toHaveLength(2);
  });
});
