import { hashToken, SecretBox } from '@hookstream/webhooks';
import { ConfigTopicReader, startControlApi, type TestApp } from './control-api.harness';

interface ErrorBody {
  error: { code: string; message: string; details?: { field?: string; code?: string; message: string }[] };
}
interface SourceCreated {
  source: { id: string; url: string; tokens: { id: string; expiresAt: string | null }[]; version: number };
  token: string;
  url: string;
}
interface EndpointCreated {
  endpoint: { id: string; secrets: { id: string; expiresAt: string | null }[] };
  secret: string;
}

describe('control-api: resources and the config topic', () => {
  let t: TestApp;
  let reader: ConfigTopicReader;
  let acct: { accountId: string; key: string };
  let box: SecretBox;

  beforeAll(async () => {
    t = await startControlApi();
    box = SecretBox.fromBase64Key(t.config.SECRETS_KEY);
    reader = new ConfigTopicReader();
    await reader.start();
    acct = await t.newAccount();
  });

  afterAll(async () => {
    await reader?.stop();
    await t?.close();
  });

  it('creating a source returns its token and ingest URL once; get and list never show the token or its hash', async () => {
    const res = await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Shop', dialect: 'activly' } });
    expect(res.statusCode).toBe(201);
    const created = res.json<SourceCreated>();
    expect(created.token).toMatch(/^hst_/);
    expect(created.url).toBe(`https://hooks.example.test/v1/hooks/${created.source.id}?token=${created.token}`);
    expect(created.source.url).toBe(`https://hooks.example.test/v1/hooks/${created.source.id}`);

    const get = await t.request('GET', `/v1/sources/${created.source.id}`, { key: acct.key });
    const list = await t.request('GET', '/v1/sources', { key: acct.key });
    expect(get.statusCode).toBe(200);
    expect(list.json<{ data: { id: string }[] }>().data.map((s) => s.id)).toContain(created.source.id);
    for (const body of [get.body, list.body]) {
      expect(body).not.toContain(created.token);
      expect(body).not.toContain(hashToken(created.token));
    }

    // The snapshot carries the token's hash only.
    const rec = await reader.waitFor(`source:${created.source.id}`);
    expect(rec.value).toMatchObject({ kind: 'source', id: created.source.id, accountId: acct.accountId, dialect: 'activly', tokens: [{ hash: hashToken(created.token), expiresAt: null }] });
    expect(JSON.stringify(rec.value)).not.toContain(created.token);
    expect(rec.headers).toMatchObject({ ce_type: 'hookstream.config.source.updated', ce_source: 'hookstream/control-api', ce_subject: `source:${created.source.id}` });
  });

  it('rotating a token publishes a snapshot whose old token expires at now + grace and whose new token is current', async () => {
    const created = (await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Rotating' } })).json<SourceCreated>();
    const before = Date.now();
    const res = await t.request('POST', `/v1/sources/${created.source.id}/rotate-token`, { key: acct.key, body: { gracePeriodSeconds: 600 } });
    expect(res.statusCode).toBe(200);
    const rotated = res.json<SourceCreated>();
    expect(rotated.token).not.toBe(created.token);
    expect(rotated.url).toContain(`token=${rotated.token}`);

    const rec = await reader.waitFor(`source:${created.source.id}`, (r) => (r.value?.['tokens'] as unknown[] | undefined)?.length === 2, 'rotated source');
    const tokens = rec.value?.['tokens'] as { hash: string; expiresAt: string | null }[];
    expect(tokens[0]).toEqual({ hash: hashToken(rotated.token), expiresAt: null });
    expect(tokens[1].hash).toBe(hashToken(created.token));
    const expiresAt = Date.parse(tokens[1].expiresAt ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 600_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 600_000 + 1000);
    expect(rec.value?.['version']).toBe(2);

    // A grace period of 0 retires every older token at once.
    await t.request('POST', `/v1/sources/${created.source.id}/rotate-token`, { key: acct.key, body: { gracePeriodSeconds: 0 } });
    const after = await reader.waitFor(`source:${created.source.id}`, (r) => r.value?.['version'] === 3, 'second rotation');
    expect((after.value?.['tokens'] as unknown[]).length).toBe(1);
  });

  it('patching a source publishes its new settings, with the verification secret sealed', async () => {
    const created = (await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Signed' } })).json<SourceCreated>();
    const secret = 'my-shared-hmac-secret';
    const res = await t.request('PATCH', `/v1/sources/${created.source.id}`, {
      key: acct.key,
      body: {
        dialect: 'provesource',
        signature: { kind: 'hmac-sha256-hex', secret, header: 'X-Signature', prefix: 'sha256=' },
        dedupe: { fields: ['person.email', 'type'], windowSeconds: 3600 },
        rateLimitPerSecond: 50,
        initiatedFrom: 'public',
        listId: '12',
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()['signature']).toEqual({ kind: 'hmac-sha256-hex', header: 'x-signature', prefix: 'sha256=', hasSecret: true });
    expect(res.body).not.toContain(secret);

    const rec = await reader.waitFor(`source:${created.source.id}`, (r) => r.value?.['version'] === 2);
    const sig = rec.value?.['signature'] as { kind: string; secretEnc: string; header: string; prefix: string };
    expect(sig).toMatchObject({ kind: 'hmac-sha256-hex', header: 'x-signature', prefix: 'sha256=' });
    expect(box.open(sig.secretEnc)).toBe(secret);
    expect(rec.value).toMatchObject({ dialect: 'provesource', dedupe: { fields: ['person.email', 'type'], windowSeconds: 3600 }, rateLimitPerSecond: 50, initiatedFrom: 'public', listId: '12' });

    const noSecret = await t.request('PATCH', `/v1/sources/${created.source.id}`, { key: acct.key, body: { signature: { kind: 'standard-webhooks' } } });
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json<ErrorBody>().error.code).toBe('validation_failed');
  });

  it('creating an endpoint returns its whsec_ secret once and publishes an EndpointSnapshot with the secret sealed', async () => {
    const res = await t.request('POST', '/v1/endpoints', {
      key: acct.key,
      body: { url: 'https://example.com/hooks', eventTypes: ['purchase', 'contact.*'], format: 'form', filter: { path: 'amount', op: 'gte', value: 10 }, maxConcurrency: 3 },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json<EndpointCreated>();
    expect(created.secret).toMatch(/^whsec_/);

    const get = await t.request('GET', `/v1/endpoints/${created.endpoint.id}`, { key: acct.key });
    const list = await t.request('GET', '/v1/endpoints', { key: acct.key });
    for (const body of [get.body, list.body]) expect(body).not.toContain(created.secret.slice(6));

    const rec = await reader.waitFor(`endpoint:${created.endpoint.id}`);
    const snap = rec.value as Record<string, unknown> & { secrets: { secretEnc: string; expiresAt: string | null }[] };
    expect(snap).toMatchObject({
      kind: 'endpoint', id: created.endpoint.id, accountId: acct.accountId, url: 'https://example.com/hooks', enabled: true,
      eventTypes: ['purchase', 'contact.*'], format: 'form', filter: { path: 'amount', op: 'gte', value: 10 }, maxConcurrency: 3, version: 1,
    });
    expect(snap.secrets).toHaveLength(1);
    expect(box.open(snap.secrets[0].secretEnc)).toBe(created.secret);
    expect(rec.headers['ce_type']).toBe('hookstream.config.endpoint.updated');
  });

  it('rotating an endpoint secret keeps the old one for 24 h so both are used; disable/enable publish at once', async () => {
    const created = (await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/rot', eventTypes: ['*'] } })).json<EndpointCreated>();
    const rotated = (await t.request('POST', `/v1/endpoints/${created.endpoint.id}/rotate-secret`, { key: acct.key })).json<EndpointCreated>();
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.endpoint.secrets).toHaveLength(2);

    const rec = await reader.waitFor(`endpoint:${created.endpoint.id}`, (r) => r.value?.['version'] === 2);
    const secrets = rec.value?.['secrets'] as { secretEnc: string; expiresAt: string | null }[];
    expect(secrets.map((s) => box.open(s.secretEnc))).toEqual([rotated.secret, created.secret]);
    expect(secrets[0].expiresAt).toBeNull();
    expect(Math.abs(Date.parse(secrets[1].expiresAt ?? '') - (Date.now() + 24 * 3600_000))).toBeLessThan(10_000);

    const disabled = await t.request('POST', `/v1/endpoints/${created.endpoint.id}/disable`, { key: acct.key });
    expect(disabled.json()['enabled']).toBe(false);
    await reader.waitFor(`endpoint:${created.endpoint.id}`, (r) => r.value?.['version'] === 3 && r.value['enabled'] === false, 'disabled endpoint');
    await t.request('POST', `/v1/endpoints/${created.endpoint.id}/enable`, { key: acct.key });
    await reader.waitFor(`endpoint:${created.endpoint.id}`, (r) => r.value?.['version'] === 4 && r.value['enabled'] === true, 're-enabled endpoint');
  });

  it('refuses http://10.0.0.1 with a clear error when plain http is not allowed, and private addresses in any case', async () => {
    const res = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'http://10.0.0.1/hook', eventTypes: ['*'] } });
    expect(res.statusCode).toBe(400);
    const err = res.json<ErrorBody>().error;
    expect(err.code).toBe('invalid_url');
    expect(err.message).toMatch(/only https URLs are allowed/);

    const priv = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://10.0.0.1/hook', eventTypes: ['*'] } });
    expect(priv.statusCode).toBe(400);
    expect(priv.json<ErrorBody>().error.message).toMatch(/private address/);

    const port = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com:8443/hook', eventTypes: ['*'] } });
    expect(port.json<ErrorBody>().error.message).toMatch(/port 8443 is not allowed/);
  });

  it('deleting publishes a tombstone', async () => {
    const src = (await t.request('POST', '/v1/sources', { key: acct.key, body: { name: 'Doomed' } })).json<SourceCreated>().source;
    await reader.waitFor(`source:${src.id}`);
    expect((await t.request('DELETE', `/v1/sources/${src.id}`, { key: acct.key })).statusCode).toBe(204);
    const tomb = await reader.waitFor(`source:${src.id}`, (r) => r.value === null, 'tombstone');
    expect(tomb.headers['ce_type']).toBe('hookstream.config.source.deleted');
    expect((await t.request('GET', `/v1/sources/${src.id}`, { key: acct.key })).statusCode).toBe(404);
  });

  it('automations: create, update and delete publish snapshots; an endpoint in use cannot be deleted', async () => {
    const ep = (await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/aut', eventTypes: ['*'] } })).json<EndpointCreated>().endpoint;
    const res = await t.request('POST', '/v1/automations', {
      key: acct.key,
      body: { name: 'Buyers', trigger: { eventTypes: ['purchase'], filter: { path: 'amount', op: 'gt', value: 100 } }, actions: [{ type: 'add_tag', tag: 'vip' }, { type: 'webhook', endpointId: ep.id }] },
    });
    expect(res.statusCode).toBe(201);
    const aut = res.json<{ id: string }>();
    const rec = await reader.waitFor(`automation:${aut.id}`);
    expect(rec.value).toMatchObject({
      kind: 'automation', accountId: acct.accountId, enabled: true,
      trigger: { eventTypes: ['purchase'], sourceIds: null, filter: { path: 'amount', op: 'gt', value: 100 } },
      actions: [{ type: 'add_tag', tag: 'vip' }, { type: 'webhook', endpointId: ep.id }],
    });

    const inUse = await t.request('DELETE', `/v1/endpoints/${ep.id}`, { key: acct.key });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json<ErrorBody>().error.message).toContain(aut.id);

    await t.request('PATCH', `/v1/automations/${aut.id}`, { key: acct.key, body: { enabled: false, actions: [{ type: 'add_to_list', listId: '3' }] } });
    await reader.waitFor(`automation:${aut.id}`, (r) => r.value?.['version'] === 2 && r.value['enabled'] === false);
    expect((await t.request('DELETE', `/v1/endpoints/${ep.id}`, { key: acct.key })).statusCode).toBe(204);
    expect((await t.request('DELETE', `/v1/automations/${aut.id}`, { key: acct.key })).statusCode).toBe(204);
    await reader.waitFor(`automation:${aut.id}`, (r) => r.value === null, 'automation tombstone');
  });

  it('validates input: unknown fields, bad enums, bad filters, bad event types and unreadable JSON give 400 with the JSON error shape', async () => {
    const cases = [
      { body: { name: 'x', colour: 'red' }, field: 'colour' },
      { body: { name: 'x', dialect: 'shopify' }, field: 'dialect' },
      { body: { name: 'x', dedupe: { fields: [], windowSeconds: 10 } }, field: 'dedupe.fields' },
    ];
    for (const c of cases) {
      const res = await t.request('POST', '/v1/sources', { key: acct.key, body: c.body });
      expect(res.statusCode).toBe(400);
      const err = res.json<ErrorBody>().error;
      expect(err.code).toBe('validation_failed');
      expect(err.details?.map((d) => d.field)).toContain(c.field);
    }
    const filter = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/f', eventTypes: ['*'], filter: { path: 'a', op: 'like' } } });
    expect(filter.statusCode).toBe(400);
    expect(filter.json<ErrorBody>().error.details?.[0]?.field).toBe('filter');
    const types = await t.request('POST', '/v1/endpoints', { key: acct.key, body: { url: 'https://example.com/f', eventTypes: ['con*tact'] } });
    expect(types.json<ErrorBody>().error.message).toMatch(/wildcard/);

    const bad = await t.request('POST', '/v1/sources', { key: acct.key, rawBody: '{"name": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<ErrorBody>().error.code).toBe('bad_request');
    const unknownRoute = await t.request('GET', '/v1/nothing-here', { key: acct.key });
    expect(unknownRoute.statusCode).toBe(404);
    expect(unknownRoute.json<ErrorBody>().error.code).toBe('not_found');
  });

  it('paginates lists newest first with an opaque cursor', async () => {
    const own = await t.newAccount();
    const ids: string[] = [];
    for (const name of ['one', 'two', 'three']) ids.push((await t.request('POST', '/v1/sources', { key: own.key, body: { name } })).json<SourceCreated>().source.id);
    const p1 = (await t.request('GET', '/v1/sources?limit=2', { key: own.key })).json<{ data: { id: string }[]; nextCursor: string | null }>();
    expect(p1.data.map((s) => s.id)).toEqual([ids[2], ids[1]]);
    expect(p1.nextCursor).toEqual(expect.any(String));
    const p2 = (await t.request('GET', `/v1/sources?limit=2&cursor=${p1.nextCursor}`, { key: own.key })).json<{ data: { id: string }[]; nextCursor: string | null }>();
    expect(p2).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextCursor: null });

    expect((await t.request('GET', '/v1/sources?cursor=garbage', { key: own.key })).json<ErrorBody>().error.code).toBe('invalid_cursor');
    expect((await t.request('GET', '/v1/sources?limit=0', { key: own.key })).statusCode).toBe(400);
  });

  it('serves the OpenAPI document at /docs', async () => {
    const json = await t.request('GET', '/docs-json');
    expect(json.statusCode).toBe(200);
    const doc = json.json<{ paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/sources', '/v1/sources/{id}/rotate-token', '/v1/endpoints/{id}/rotate-secret', '/v1/automations/{id}']));
    expect(doc.components.securitySchemes).toHaveProperty('bearer');
  });
});
