import { hashToken, SecretBox } from '@hookstream/webhooks';
import { DemoSeed } from '../src/cli/demo-seed';
import { configKey, Topics } from '@hookstream/contracts';
import { testKafka } from '@hookstream/testing';
import { AccountsService } from '../src/accounts/accounts.service';
import { ConfigPublisherService } from '@hookstream/config-store';
import { EndpointsService } from '../src/endpoints/endpoints.service';
import { SourcesService } from '../src/sources/sources.service';
import { ConfigTopicReader, startControlApi, type TestApp } from './control-api.harness';

describe('control-api CLI: seed-demo', () => {
  let t: TestApp;
  let reader: ConfigTopicReader;
  let seed: DemoSeed;

  beforeAll(async () => {
    t = await startControlApi();
    reader = new ConfigTopicReader();
    await reader.start();
    // The CLI wires the same services; built by hand here so the test needs no compiled dist/.
    seed = new DemoSeed(t.app.get(AccountsService), t.app.get(SourcesService), t.app.get(EndpointsService), t.app.get(ConfigPublisherService));
  });

  afterAll(async () => {
    await reader?.stop();
    await t?.close();
  });

  it('creates a working demo tenant, publishes its snapshots, and on a re-run reuses it with fresh credentials', async () => {
    const inboxUrl = `http://127.0.0.1:4599/inbox/${Date.now()}`;
    const first = await seed.run({ inboxUrl, publicBaseUrl: 'http://localhost:3000' });
    expect(first.sourceUrl).toBe(`http://localhost:3000/v1/hooks/${first.sourceId}?token=${first.sourceToken}`);
    expect(first.endpointSecret).toMatch(/^whsec_/);

    const me = await t.request('GET', '/v1/account', { key: first.apiKey });
    expect(me.json()).toMatchObject({ id: first.accountId, name: 'Demo' });
    const src = (await t.request('GET', `/v1/sources/${first.sourceId}`, { key: first.apiKey })).json();
    expect(src).toMatchObject({ name: 'Demo shop', dialect: 'activly' });
    const ep = (await t.request('GET', `/v1/endpoints/${first.endpointId}`, { key: first.apiKey })).json();
    expect(ep).toMatchObject({ url: inboxUrl, eventTypes: ['*'], format: 'json', enabled: true });

    const srcRec = await reader.waitFor(`source:${first.sourceId}`, (r) => JSON.stringify(r.value).includes(hashToken(first.sourceToken)));
    expect(srcRec.value).toMatchObject({ dialect: 'activly', enabled: true });
    const epRec = await reader.waitFor(`endpoint:${first.endpointId}`);
    const box = SecretBox.fromBase64Key(t.config.SECRETS_KEY);
    expect(box.open((epRec.value?.['secrets'] as { secretEnc: string }[])[0].secretEnc)).toBe(first.endpointSecret);

    const second = await seed.run({ inboxUrl });
    expect(second).toMatchObject({ accountId: first.accountId, sourceId: first.sourceId, endpointId: first.endpointId, endpointSecret: first.endpointSecret });
    expect(second.apiKey).not.toBe(first.apiKey);
    expect(second.sourceToken).not.toBe(first.sourceToken);
    // Both keys work: a re-seed must not lock out a dashboard opened with the first one.
    expect((await t.request('GET', '/v1/account', { key: first.apiKey })).statusCode).toBe(200);
    const rotated = await reader.waitFor(`source:${first.sourceId}`, (r) => JSON.stringify(r.value).includes(hashToken(second.sourceToken)));
    const tokens = rotated.value?.['tokens'] as { hash: string; expiresAt: string | null }[];
    expect(tokens[0]).toEqual({ hash: hashToken(second.sourceToken), expiresAt: null });
    expect(tokens.find((tk) => tk.hash === hashToken(first.sourceToken))?.expiresAt).toEqual(expect.any(String));
  });

  it("tombstones what the config topic still has of the demo account but the database does not (a ghost endpoint would keep receiving the demo's events)", async () => {
    const inboxUrl = `http://127.0.0.1:4599/inbox/ghost-${Date.now()}`;
    const first = await seed.run({ inboxUrl });
    // A snapshot the database never had (its row was deleted while the topic kept it, or the database was reset).
    const ghostId = `ep_ghost${Date.now().toString(36)}`;
    const live = (await reader.waitFor(`endpoint:${first.endpointId}`)).value!;
    const producer = testKafka('demo-seed-ghost').producer();
    await producer.connect();
    await producer.send({ topic: Topics.config, acks: -1, messages: [{ key: configKey('endpoint', ghostId), value: JSON.stringify({ ...live, id: ghostId }) }] });
    await producer.disconnect();
    await reader.waitFor(`endpoint:${ghostId}`, (r) => r.value !== null);

    const again = await seed.run({ inboxUrl });
    expect(again.endpointId).toBe(first.endpointId);
    await reader.waitFor(`endpoint:${ghostId}`, (r) => r.value === null, 'the ghost endpoint tombstoned');
    // The real one is untouched: its latest record is still a snapshot.
    const latest = [...reader.records].reverse().find((r) => r.key === `endpoint:${first.endpointId}`);
    expect(latest?.value).not.toBeNull();
  });
});
