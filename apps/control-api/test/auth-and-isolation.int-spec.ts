import { startControlApi, type TestApp } from './control-api.harness';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('control-api: API keys and account isolation', () => {
  let t: TestApp;
  let a: { accountId: string; key: string };
  let b: { accountId: string; key: string };

  beforeAll(async () => {
    t = await startControlApi();
    a = await t.newAccount();
    b = await t.newAccount();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 401 with the JSON error shape when no key, a malformed key or an unknown key is sent', async () => {
    for (const key of [undefined, 'not-a-key', 'hsk_0000000000000000000000_' + 'A'.repeat(43)]) {
      const res = await t.request('GET', '/v1/sources', { key });
      expect(res.statusCode).toBe(401);
      expect(res.json<ErrorBody>().error.code).toBe('unauthorized');
    }
  });

  it('refuses a key whose secret part is wrong even though its id exists', async () => {
    const tampered = a.key.slice(0, -4) + (a.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await t.request('GET', '/v1/account', { key: tampered })).statusCode).toBe(401);
    const me = await t.request('GET', '/v1/account', { key: a.key });
    expect(me.statusCode).toBe(200);
    expect(me.json()['id']).toBe(a.accountId);
  });

  it('a read-scoped key can read but every write answers 403', async () => {
    const created = await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'dashboard', scope: 'read' } });
    expect(created.statusCode).toBe(201);
    const readKey = created.json<{ key: string; apiKey: { scope: string } }>();
    expect(readKey.apiKey.scope).toBe('read');

    expect((await t.request('GET', '/v1/sources', { key: readKey.key })).statusCode).toBe(200);
    const writes = [
      await t.request('POST', '/v1/sources', { key: readKey.key, body: { name: 'nope' } }),
      await t.request('POST', '/v1/api-keys', { key: readKey.key, body: { name: 'escalate', scope: 'write' } }),
      await t.request('DELETE', '/v1/sources/src_whatever', { key: readKey.key }),
    ];
    for (const res of writes) {
      expect(res.statusCode).toBe(403);
      expect(res.json<ErrorBody>().error.code).toBe('forbidden');
    }
  });

  it('a revoked key is refused with 401 from then on', async () => {
    const created = (await t.request('POST', '/v1/api-keys', { key: a.key, body: { name: 'temp', scope: 'write' } })).json<{ key: string; apiKey: { id: string } }>();
    expect((await t.request('GET', '/v1/sources', { key: created.key })).statusCode).toBe(200);

    const revoked = await t.request('DELETE', `/v1/api-keys/${created.apiKey.id}`, { key: a.key });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()['revokedAt']).toEqual(expect.any(String));

    const res = await t.request('GET', '/v1/sources', { key: created.key });
    expect(res.statusCode).toBe(401);
    expect(res.json<ErrorBody>().error.code).toBe('unauthorized');
  });

  it("another account's sources, endpoints, automations and keys answer 404 to get, patch, delete and actions", async () => {
    const src = (await t.request('POST', '/v1/sources', { key: a.key, body: { name: 'A shop' } })).json<{ source: { id: string } }>().source;
    const ep = (await t.request('POST', '/v1/endpoints', { key: a.key, body: { url: 'https://example.com/a', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint;
    const aut = (
      await t.request('POST', '/v1/automations', { key: a.key, body: { name: 'A rule', trigger: { eventTypes: ['purchase'] }, actions: [{ type: 'webhook', endpointId: ep.id }] } })
    ).json<{ id: string }>();
    const aKeys = (await t.request('GET', '/v1/api-keys', { key: a.key })).json<{ data: { id: string; revokedAt: string | null }[] }>().data.filter((k) => k.revokedAt === null);

    const attempts = [
      t.request('GET', `/v1/sources/${src.id}`, { key: b.key }),
      t.request('PATCH', `/v1/sources/${src.id}`, { key: b.key, body: { name: 'hijacked' } }),
      t.request('POST', `/v1/sources/${src.id}/rotate-token`, { key: b.key, body: { gracePeriodSeconds: 0 } }),
      t.request('DELETE', `/v1/sources/${src.id}`, { key: b.key }),
      t.request('GET', `/v1/endpoints/${ep.id}`, { key: b.key }),
      t.request('PATCH', `/v1/endpoints/${ep.id}`, { key: b.key, body: { eventTypes: ['purchase'] } }),
      t.request('POST', `/v1/endpoints/${ep.id}/disable`, { key: b.key }),
      t.request('POST', `/v1/endpoints/${ep.id}/rotate-secret`, { key: b.key }),
      t.request('DELETE', `/v1/endpoints/${ep.id}`, { key: b.key }),
      t.request('GET', `/v1/automations/${aut.id}`, { key: b.key }),
      t.request('PATCH', `/v1/automations/${aut.id}`, { key: b.key, body: { enabled: false } }),
      t.request('DELETE', `/v1/automations/${aut.id}`, { key: b.key }),
      t.request('DELETE', `/v1/api-keys/${aKeys[0].id}`, { key: b.key }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(404);
      expect(res.json<ErrorBody>().error.code).toBe('not_found');
    }

    // Nothing changed for A, and B's lists never show A's resources.
    const still = (await t.request('GET', `/v1/sources/${src.id}`, { key: a.key })).json<{ name: string; version: number }>();
    expect(still).toMatchObject({ name: 'A shop', version: 1 });
    expect((await t.request('GET', `/v1/endpoints/${ep.id}`, { key: a.key })).json()['enabled']).toBe(true);
    expect((await t.request('GET', `/v1/automations/${aut.id}`, { key: a.key })).json()['enabled']).toBe(true);
    const keysAfter = (await t.request('GET', '/v1/api-keys', { key: a.key })).json<{ data: { id: string; revokedAt: string | null }[] }>().data;
    expect(keysAfter.find((k) => k.id === aKeys[0].id)?.revokedAt).toBeNull();
    const aIds = [src.id, ep.id, aut.id];
    for (const path of ['/v1/sources', '/v1/endpoints', '/v1/automations']) {
      const list = (await t.request('GET', path, { key: b.key })).json<{ data: { id: string }[] }>();
      expect(list.data.filter((x) => aIds.includes(x.id))).toEqual([]);
    }
  });

  it("an automation cannot deliver to another account's endpoint", async () => {
    const foreign = (await t.request('POST', '/v1/endpoints', { key: b.key, body: { url: 'https://example.com/b', eventTypes: ['*'] } })).json<{ endpoint: { id: string } }>().endpoint;
    const res = await t.request('POST', '/v1/automations', {
      key: a.key,
      body: { name: 'steal', trigger: { eventTypes: ['*'] }, actions: [{ type: 'webhook', endpointId: foreign.id }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorBody>().error).toMatchObject({ code: 'invalid_reference', message: expect.stringContaining(foreign.id) });
  });
});
