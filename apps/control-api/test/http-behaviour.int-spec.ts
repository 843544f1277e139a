import { testDatabaseUrl } from '@hookstream/testing';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startControlApi, type TestApp } from './control-api.harness';

interface ErrorBody {
  error: { code: string; message: string; details?: { field?: string; code?: string; message: string }[] };
}
interface Warning {
  field: string;
  code: string;
  message: string;
}

/** A TCP proxy to PostgreSQL that the test can turn into "connection refused". */
async function pgProxy(): Promise<{ port: number; refuse(): Promise<void> }> {
  const target = new URL(testDatabaseUrl());
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    // Nothing listens on the port any more and open connections are cut: new ones are refused.
    refuse: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe('control-api HTTP behaviour', () => {
  let t: TestApp;
  let acct: { accountId: string; key: string };

  beforeAll(async () => {
    t = await startControlApi({ ENDPOINT_ALLOW_HTTP: 'true', ENDPOINT_ALLOWED_PORTS: 'any' });
    acct = await t.newAccount();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts a bodiless DELETE, enable/disable and rotate with Content-Type: application/json on every bodiless route', async () => {
    const json = { 'content-type': 'application/json' };
    const src = (await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Bodiless' } })).json<{ source: { id: string } }>().source.id;
    const ep = (await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/hook', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint.id;
    const key = (await t.request('POST', '/v1/api-keys', { key: acct.key, body: { name: 'spare', scope: 'read' } })).json<{ apiKey: { id: string } }>().apiKey.id;

    const calls: [string, string, number][] = [
      ['POST', `/v1/endpoints/${ep}/disable`, 200],
      ['POST', `/v1/endpoints/${ep}/enable`, 200],
      ['POST', `/v1/endpoints/${ep}/rotate-secret`, 200],
      ['POST', `/v1/sources/${src}/rotate-token`, 200],
      ['GET', `/v1/endpoints/${ep}`, 200],
      ['DELETE', `/v1/api-keys/${key}`, 200],
      ['DELETE', `/v1/endpoints/${ep}`, 204],
      ['DELETE', `/v1/sources/${src}`, 204],
    ];
    for (const [method, url, status] of calls) {
      const res = await t.request(method as 'POST', url, { key: acct.key, headers: json });
      expect({ method, url, status: res.statusCode, body: res.statusCode === status ? '' : res.body }).toEqual({ method, url, status, body: '' });
    }
  });

  it('still answers 400 validation_failed, not a parser error, when a route that needs a body gets none', async () => {
    const res = await t.request('POST', '/v1/endpoints', { key: acct.key, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().error.code).toBe('validation_failed');
    // A body that is there but unreadable is still refused by the JSON parser.
    const bad = await t.request('POST', '/v1/endpoints', { key: acct.key, rawBody: '{"url":', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
  });

  it('saves an endpoint whose host name resolves to a refused address, with a warning in the answer', async () => {
    // localhost resolves (from /etc/hosts) to loopback, which this app does not allow.
    const res = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'http://localhost:4599/x', eventTypes: ['*'] } });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ endpoint: { id: string; url: string }; warnings: Warning[] }>();
    expect(body.endpoint.url).toBe('http://localhost:4599/x');
    expect(body.warnings).toEqual([expect.objectContaining({ field: 'url', code: 'resolves_to_refused_address' })]);
    expect(body.warnings[0].message).toMatch(/localhost resolves to .*loopback/);

    const patched = await t.request('PATCH', `/v1/endpoints/${body.endpoint.id}`, { key: acct.key, body: { url: 'http://localhost:4600/y' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<{ warnings: Warning[] }>().warnings).toEqual([expect.objectContaining({ code: 'resolves_to_refused_address' })]);

    // A literal refused address is still refused outright; a public literal saves with no warning.
    const literal = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'http://127.0.0.1:4599/x', eventTypes: ['*'] } });
    expect(literal.statusCode).toBe(400);
    expect(literal.json<ErrorBody>().error.details).toEqual([expect.objectContaining({ code: 'address_not_allowed' })]);
    const fine = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://93.184.215.14/x', eventTypes: ['*'] } });
    expect(fine.json<{ warnings: Warning[] }>().warnings).toEqual([]);
  });

  it('accepts a loopback endpoint where ENDPOINT_ALLOWED_CIDRS allows it, with no warning for a name resolving there', async () => {
    const dev = await startControlApi({ ENDPOINT_ALLOW_HTTP: 'true', ENDPOINT_ALLOWED_PORTS: 'any', ENDPOINT_ALLOWED_CIDRS: '127.0.0.1/32,::1/128' });
    try {
      const a = await dev.newAccount();
      const literal = await dev.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://127.0.0.1:4599/x', eventTypes: ['*'] } });
      expect(literal.statusCode).toBe(201);
      const named = await dev.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'http://localhost:4599/x', eventTypes: ['*'] } });
      expect(named.statusCode).toBe(201);
      expect(named.json<{ warnings: Warning[] }>().warnings).toEqual([]);
    } finally {
      await dev.close();
    }
  });
});

describe('dry run: documented, and its verdict given with the dashboard\'s test event', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startControlApi({ FEED_STREAM_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('documents the gateway routes in the OpenAPI document: dry_run answers 200 with valid true or false, served by the gateway', async () => {
    type Op = { parameters: { name: string; description?: string }[]; responses: Record<string, { description: string; content?: Record<string, { schema: { oneOf?: { properties: { valid: { const: boolean } } }[] } }> }> };
    const doc = (await t.request('GET', '/docs-json')).json<{ paths: Record<string, { servers: { url: string }[]; post: Op }> }>();
    for (const path of ['/v1/hooks/{sourceId}', '/v1/hooks/{sourceId}/batch']) {
      const item = doc.paths[path];
      expect(item.servers[0].url).toBe('https://hooks.example.test');
      const dryRun = item.post.parameters.find((p) => p.name === 'dry_run');
      expect(dryRun?.description).toMatch(/200/);
      const ok = item.post.responses['200'];
      expect(ok.description).toMatch(/dry_run=true/);
      expect(ok.content?.['application/json'].schema.oneOf?.map((o) => o.properties.valid.const)).toEqual([true, false]);
      expect(Object.keys(item.post.responses).sort()).toEqual(['200', '202', '400', '401', '408', '413', '415', '429', '503']);
    }
  });

  it('answers "send test event" with the dry-run verdict of the sample it sent', async () => {
    const acct = await t.newAccount();
    const src = (await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Verdict', dialect: 'activly' } })).json<{ source: { id: string } }>().source.id;
    const res = await t.request('POST', `/v1/sources/${src}/test-event`, { key: acct.key });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id: expect.stringMatching(/^evt_/), verdict: { valid: true, dialect: 'activly', type: expect.any(String) } });
  });
});

describe('control-api readiness when PostgreSQL refuses connections', () => {
  it('answers 503 not_ready with its checks (postgres failing, kafka fine), like the other apps, not internal_error', async () => {
    const proxy = await pgProxy();
    const url = new URL(testDatabaseUrl());
    url.port = String(proxy.port);
    const t = await startControlApi({ DATABASE_URL: url.toString(), FEED_STREAM_ENABLED: 'false' });
    try {
      const ready = await t.request('GET', '/health/ready');
      expect(ready.statusCode).toBe(200);
      await proxy.refuse();
      const res = await t.request('GET', '/health/ready');
      expect(res.statusCode).toBe(503);
      const body = res.json<{ status: string; checks: Record<string, { ok: boolean; detail: string }> }>();
      expect(body.status).toBe('not_ready');
      expect(body.checks['postgres']).toMatchObject({ ok: false });
      expect(body.checks['postgres'].detail).toMatch(/ECONNREFUSED|connect|terminat/i);
      expect(body.checks['kafka']).toMatchObject({ ok: true });
      expect(res.body).not.toContain('internal_error');
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
