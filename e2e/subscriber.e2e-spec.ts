import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { testBrokers, testKafka, uniqueName, waitFor } from '@hookstream/testing';
import { Pipeline, ROOT } from './support/pipeline';
import { Receiver } from './support/receiver';

interface Demo {
  accountId: string;
  apiKey: string;
  sourceId: string;
  sourceUrl: string;
}

interface Line {
  msg: string;
  [k: string]: unknown;
}

const TOPIC = 'hookstream.events.enriched.v1';

/**
 * Issue 14: the example internal subscriber (examples/subscriber), run as its own process with its
 * own consumer group against the real pipeline. It knows Hookstream only through the AsyncAPI
 * document control-api serves: it decodes the CloudEvents headers with the SDK and validates every
 * value against the published schema.
 */
describe('example subscriber on the real pipeline', () => {
  const pipeline = new Pipeline();
  const inbox = new Receiver();
  let demo: Demo;
  let sub: ChildProcess;
  const lines: Line[] = [];
  let stderr = '';

  beforeAll(async () => {
    const inboxUrl = await inbox.start();
    // What reaches events.enriched; automation and delivery play no part here.
    await pipeline.start(['control-api', 'ingest-gateway', 'validator', 'enricher']);
    demo = JSON.parse(await pipeline.cli(['seed-demo', '--inbox-url', `${inboxUrl}/hooks`, '--public-base-url', pipeline.url('ingest-gateway'), '--json'])) as Demo;

    sub = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'examples/subscriber/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_PROJECT: 'tsconfig.json',
        KAFKA_BROKERS: testBrokers().join(','),
        SUBSCRIBER_GROUP_ID: `example-subscriber-e2e-${randomBytes(4).toString('hex')}`,
        ASYNCAPI_URL: pipeline.url('control-api', '/asyncapi.json'),
      },
    });
    let buf = '';
    sub.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) lines.push(JSON.parse(line) as Line);
      }
    });
    sub.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor(() => lines.some((l) => l.msg === 'ready') || undefined, { timeoutMs: 60_000, what: `the subscriber to join its group (stderr: ${stderr})` });
  }, 240_000);

  afterAll(async () => {
    if (sub && sub.exitCode === null) {
      const exited = new Promise((r) => sub.once('exit', r));
      sub.kill('SIGTERM');
      await exited;
    }
    await pipeline.stopAll();
    await inbox.stop();
  });

  it('receives an event posted to the gateway, decoded and valid against the published schema', async () => {
    const posted: string[] = [];
    // Posted until one arrives: the group's first fetch position (the topic's end) is set just after it joined.
    const got = await waitFor(async () => {
      const res = await fetch(demo.sourceUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': uniqueName('sub') },
        body: JSON.stringify({ event: 'purchase', first_name: 'Sarah', city: 'London', country: 'UK', product: 'Running Shoes', timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      });
      if (res.status === 202) posted.push(((await res.json()) as { id: string }).id);
      return lines.find((l) => l.msg === 'event' && posted.includes(String(l['id'])));
    }, { timeoutMs: 90_000, intervalMs: 3000, what: 'the subscriber to print one of the posted events' });

    expect(got).toMatchObject({
      type: 'hookstream.event.purchase',
      source: `/sources/${demo.sourceId}`,
      subject: demo.accountId,
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      data: {
        id: got['id'],
        accountId: demo.accountId,
        type: 'purchase',
        person: expect.objectContaining({ firstName: 'Sarah' }),
        location: expect.objectContaining({ city: 'London', countryCode: 'GB' }),
        enrichment: expect.objectContaining({ applied: expect.any(Array) }),
      },
    });
    expect(lines.filter((l) => l.msg === 'invalid')).toEqual([]);
  });

  it('reports a record on the topic that breaks the published contract instead of passing it on', async () => {
    const producer = testKafka('subscriber-e2e').producer();
    await producer.connect();
    const id = `evt_${randomBytes(8).toString('hex')}`;
    try {
      await producer.send({
        topic: TOPIC,
        messages: [{
          key: `${demo.accountId}:${id}`,
          value: JSON.stringify({ id, accountId: demo.accountId, sourceId: demo.sourceId, type: 'purchase' }),
          headers: {
            ce_specversion: '1.0', ce_id: id, ce_type: 'hookstream.event.purchase', ce_source: `/sources/${demo.sourceId}`,
            ce_time: new Date().toISOString(), 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          },
        }],
      });
    } finally {
      await producer.disconnect();
    }
    const bad = await waitFor(() => lines.find((l) => l.msg === 'invalid' && String(l['problems']).includes("'person'")), { timeoutMs: 30_000, what: 'the subscriber to report the invalid record' });
    expect(bad['problems']).toEqual(expect.arrayContaining([expect.stringMatching(/^value\/ must have required property 'person'/)]));
    expect(lines.some((l) => l.msg === 'event' && l['id'] === id)).toBe(false);
  });
});
