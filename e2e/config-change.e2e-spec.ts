import { uniqueName, waitFor } from '@hookstream/testing';
import { Pipeline } from './support/pipeline';
import { Receiver } from './support/receiver';

interface Demo {
  accountId: string;
  apiKey: string;
  sourceId: string;
  sourceUrl: string;
  endpointId: string;
}

/**
 * Acceptance of issue 7: "a config change (e.g. disabling an endpoint) stops deliveries to it
 * within 1 s, tested end to end". All apps run as processes. The demo endpoint's inbox is unused (a re-run reuses a demo endpoint sealed with another run's SECRETS_KEY);
 * a control endpoint that stays enabled proves the pipeline delivered the event, and the endpoint
 * under test is disabled and re-enabled.
 */
describe('config change: disabling an endpoint stops deliveries to it within 1 s (whole pipeline)', () => {
  const pipeline = new Pipeline({
    ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32',
  });
  /** A second endpoint that stays enabled: proof the pipeline did deliver the event. */
  const control = new Receiver();
  const target = new Receiver();
  const demoInbox = new Receiver();
  let demo: Demo;
  let endpointId: string;

  const api = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(pipeline.url('control-api', path), {
      method,
      headers: { authorization: `Bearer ${demo.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Posts a distinct Activly event (own idempotency key, so never a duplicate); returns its id. */
  const send = async (): Promise<string> => {
    const res = await waitFor(async () => {
      const r = await fetch(demo.sourceUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': uniqueName('cfg') },
        body: JSON.stringify({ event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      });
      return r.status === 202 ? r : undefined;
    }, { timeoutMs: 10000, what: 'the gateway to accept the event' });
    return ((await res.json()) as { id: string }).id;
  };

  const got = (r: Receiver, id: string) => r.received.some((x) => x.body.toString().includes(id));

  beforeAll(async () => {
    const inbox = await demoInbox.start();
    const controlUrl = `${await control.start()}/hooks`;
    const targetUrl = `${await target.start()}/hooks`;
    await pipeline.start();
    // The demo tenant supplies the API key and the source; the endpoints under test are made through the API.
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inbox}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;
    for (const url of [controlUrl, targetUrl]) {
      const res = await api('POST', '/v1/endpoints', { url, eventTypes: ['*'] });
      expect(res.status).toBe(201);
      endpointId = ((await res.json()) as { endpoint: { id: string } }).endpoint.id;
    }
  }, 180_000);

  afterAll(async () => {
    await pipeline.stopAll();
    await demoInbox.stop();
    await control.stop();
    await target.stop();
  });

  it('an enabled endpoint created through the API receives events, and the feed tells their story', async () => {
    const id = await send();
    await waitFor(() => got(target, id), { timeoutMs: 30000, what: 'delivery to the new endpoint' });
    const story = await waitFor(async () => {
      const r = await api('GET', `/v1/events/${id}`);
      if (r.status !== 200) return undefined;
      const s = (await r.json()) as { summary: { status: string }; deliveries: { endpointId: string; status: string }[] };
      return s.summary.status === 'accepted' && s.deliveries.some((d) => d.endpointId === endpointId && d.status === 'succeeded') ? s : undefined;
    }, { timeoutMs: 20000, what: 'the event story with its succeeded delivery' });
    expect(story.summary.status).toBe('accepted');
  });

  it('after POST /disable, an event sent 1 s later is not delivered to it (while the other endpoint still gets it)', async () => {
    const res = await api('POST', `/v1/endpoints/${endpointId}/disable`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { enabled: boolean }).enabled).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));

    const id = await send();
    await waitFor(() => got(control, id), { timeoutMs: 30000, what: 'the same event at the still-enabled endpoint' });
    // The pipeline has delivered this event; give the disabled endpoint every chance to be wrongly called.
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      expect(got(target, id)).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(got(target, id)).toBe(false);
  });

  it('after POST /enable, deliveries to it resume', async () => {
    const res = await api('POST', `/v1/endpoints/${endpointId}/enable`);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    const id = await send();
    await waitFor(() => got(target, id), { timeoutMs: 30000, what: 'delivery after re-enabling' });
  });

  it('a receiver answering 410 Gone is disabled by apps/projector (from delivery-results), and delivery stops sending to it, also after a restart', async () => {
    target.respond = () => 410;
    const gone = await send();
    await waitFor(() => got(target, gone), { timeoutMs: 30000, what: 'the attempt the receiver answers with 410' });
    const disabled = await waitFor(async () => {
      const e = (await (await api('GET', `/v1/endpoints/${endpointId}`)).json()) as { enabled: boolean; disabledReason: string | null; version: number };
      return e.enabled === false ? e : undefined;
    }, { timeoutMs: 30000, what: 'the endpoint disabled automatically' });
    expect(disabled.disabledReason).toBe('the endpoint answered 410 Gone');
    target.respond = () => 200;
    // Delivery also stops on its own after a 410, in memory; a new process knows only what the
    // config topic says, so this proves the projector's snapshot (enabled=false) reached its cache.
    await pipeline.restart('delivery');
    const id = await send();
    await waitFor(() => got(control, id), { timeoutMs: 30000, what: 'the next event at the still-enabled endpoint' });
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      expect(got(target, id)).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(got(target, id)).toBe(false);
  }, 90_000);
});
