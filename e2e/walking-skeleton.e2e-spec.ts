import { verify } from '@hookstream/webhooks';
import { waitFor } from '@hookstream/testing';
import { APPS, Pipeline } from './support/pipeline';
import { Receiver } from './support/receiver';

/** The Activly example payload, exactly as the seed document gives it. */
const ACTIVLY_EXAMPLE = {
  event: 'purchase',
  first_name: 'Sarah',
  city: 'London',
  country: 'UK',
  product: 'Running Shoes',
  timestamp: '2026-02-28T14:30:00Z',
};

interface Demo {
  accountId: string;
  apiKey: string;
  sourceId: string;
  sourceToken: string;
  sourceUrl: string;
  endpointId: string;
  endpointSecret: string;
}

describe('walking skeleton: one webhook through the whole pipeline (real Kafka + PostgreSQL)', () => {
  const pipeline = new Pipeline();
  const receiver = new Receiver();
  let demo: Demo;

  beforeAll(async () => {
    const inbox = await receiver.start();
    await pipeline.start();
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
  }, 180_000);

  afterAll(async () => {
    await pipeline.stopAll();
    await receiver.stop();
  });

  it('every app answers /health/ready', async () => {
    for (const app of APPS) {
      const r = await fetch(pipeline.url(app, '/health/ready'));
      expect(r.status).toBe(200);
      const body = (await r.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(body.status).toBe('ready');
      expect(body.checks['kafka']?.ok).toBe(true);
    }
  });

  it('the Activly example gets 202 and reaches the receiver signed with the endpoint secret', async () => {
    // The gateway learns the new source from the config topic; allow it a moment.
    const post = () => fetch(demo.sourceUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ACTIVLY_EXAMPLE) });
    const res = await waitFor(async () => {
      const r = await post();
      return r.status === 202 ? r : undefined;
    }, { timeoutMs: 5000, what: 'gateway to accept the seeded source' });
    const { id } = (await res.json()) as { id: string };
    expect(id).toMatch(/^evt_[0-9a-z]+$/);

    const delivery = await waitFor(() => receiver.received.find((r) => r.body.toString().includes(id)), { timeoutMs: 30000, what: 'the signed delivery' });
    expect(delivery.headers['webhook-id']).toMatch(/^msg_/);
    expect(Number(delivery.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    const v = verify(delivery.headers, delivery.body, [demo.endpointSecret]);
    expect(v.ok).toBe(true);
    const wrong = verify(delivery.headers, delivery.body, ['whsec_' + Buffer.alloc(32, 7).toString('base64')]);
    expect(wrong.ok).toBe(false);

    const payload = JSON.parse(delivery.body.toString()) as { type: string; data: { id: string; person: { firstName: string }; product: { name: string }; location: { countryCode: string } } };
    expect(payload.type).toBe('purchase');
    expect(payload.data.id).toBe(id);
    expect(payload.data.person.firstName).toBe('Sarah');
    expect(payload.data.product.name).toBe('Running Shoes');
    expect(payload.data.location.countryCode).toBe('GB');
  });

  it('a wrong token and an unknown source get the same 401', async () => {
    const bad = demo.sourceUrl.replace(/token=[^&]+/, 'token=hst_wrong');
    const unknown = demo.sourceUrl.replace(demo.sourceId, 'src_doesnotexist');
    for (const url of [bad, unknown]) {
      const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ACTIVLY_EXAMPLE) });
      expect(r.status).toBe(401);
      expect(await r.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    }
  });

  it('SIGTERM stops every app gracefully within 10 s', async () => {
    for (const app of APPS) {
      const r = await pipeline.terminate(app);
      expect(r.ms).toBeLessThan(10_000);
      expect(r.signal === 'SIGTERM' || r.code === 0).toBe(true);
    }
  });
});
