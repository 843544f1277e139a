import type { AutomationEntity, EndpointEntity, EndpointSecretEntity, SourceEntity, SourceTokenEntity } from '@hookstream/db';
import { toAutomationSnapshot, toEndpointSnapshot, toSignatureScheme, toSourceSnapshot } from './snapshot.mapper';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (offsetSeconds: number): Date => new Date(NOW.getTime() + offsetSeconds * 1000);

function source(over: Partial<SourceEntity> = {}): SourceEntity {
  return Object.assign(
    {
      id: 'src_1', accountId: 'acc_1', name: 'Shop', dialect: 'activly', enabled: true, signature: { kind: 'none' }, dedupe: null,
      rateLimitPerSecond: null, initiatedFrom: 'api', listId: null, version: 3, createdAt: at(-3600), updatedAt: at(-60),
    },
    over,
  ) as SourceEntity;
}

function token(id: string, hash: string, expiresAt: Date | null, createdAt = at(-100), sourceId = 'src_1'): SourceTokenEntity {
  return { id, sourceId, tokenHash: hash, expiresAt, createdAt } as SourceTokenEntity;
}

describe('toSourceSnapshot', () => {
  it('carries the source settings, the version and updatedAt as ISO text', () => {
    const s = toSourceSnapshot(
      source({ dedupe: { fields: ['person.email'], windowSeconds: 600 }, rateLimitPerSecond: 20, listId: 'l1', initiatedFrom: 'admin' }),
      [token('t1', 'a'.repeat(64), null)],
      NOW,
    );
    expect(s).toEqual({
      kind: 'source', id: 'src_1', accountId: 'acc_1', name: 'Shop', dialect: 'activly', enabled: true,
      tokens: [{ hash: 'a'.repeat(64), expiresAt: null }], signature: { kind: 'none' },
      dedupe: { fields: ['person.email'], windowSeconds: 600 }, rateLimitPerSecond: 20, initiatedFrom: 'admin', listId: 'l1',
      version: 3, updatedAt: '2026-03-01T11:59:00.000Z',
    });
  });

  it('lists the current token first, keeps tokens in their grace period, drops expired ones and other sources\' tokens', () => {
    const s = toSourceSnapshot(
      source(),
      [
        token('old', '1'.repeat(64), at(300), at(-500)),
        token('expired', '2'.repeat(64), at(-1)),
        token('current', '3'.repeat(64), null, at(-10)),
        token('foreign', '4'.repeat(64), null, at(-10), 'src_2'),
      ],
      NOW,
    );
    expect(s.tokens).toEqual([
      { hash: '3'.repeat(64), expiresAt: null },
      { hash: '1'.repeat(64), expiresAt: '2026-03-01T12:05:00.000Z' },
    ]);
  });

  it('never contains a plaintext secret: the signature scheme carries only the sealed form', () => {
    const s = toSourceSnapshot(source({ signature: { kind: 'hmac-sha256-hex', secretEnc: 'v1.a.b.c', header: 'x-sig', prefix: 'sha256=' } }), [], NOW);
    expect(s.signature).toEqual({ kind: 'hmac-sha256-hex', secretEnc: 'v1.a.b.c', header: 'x-sig', prefix: 'sha256=' });
  });

  it('refuses a stored dialect the contracts do not know (corrupt row) instead of publishing it', () => {
    expect(() => toSourceSnapshot(source({ dialect: 'shopify' }), [], NOW)).toThrow(/dialect "shopify"/);
  });
});

describe('toSignatureScheme', () => {
  it('keeps the tolerance of a standard-webhooks scheme', () => {
    expect(toSignatureScheme({ kind: 'standard-webhooks', secretEnc: 'v1.x.y.z', toleranceSeconds: 60 })).toEqual({ kind: 'standard-webhooks', secretEnc: 'v1.x.y.z', toleranceSeconds: 60 });
  });

  it('refuses a scheme that needs a secret but has none', () => {
    expect(() => toSignatureScheme({ kind: 'standard-webhooks' })).toThrow(/no sealed secret/);
  });

  it('reads a missing kind as none', () => {
    expect(toSignatureScheme({})).toEqual({ kind: 'none' });
  });
});

function endpoint(over: Partial<EndpointEntity> = {}): EndpointEntity {
  return Object.assign(
    {
      id: 'ep_1', accountId: 'acc_1', url: 'https://example.com/hook', description: null, enabled: true, disabledReason: null,
      eventTypes: ['purchase', 'contact.*'], initiatedFrom: null, listId: null, filter: null, format: 'json', rateLimitPerSecond: null,
      maxConcurrency: 10, version: 1, createdAt: at(-3600), updatedAt: at(-5),
    },
    over,
  ) as EndpointEntity;
}

function secret(id: string, enc: string, expiresAt: Date | null, createdAt = at(-100), endpointId = 'ep_1'): EndpointSecretEntity {
  return { id, endpointId, secretEnc: enc, expiresAt, createdAt } as EndpointSecretEntity;
}

describe('toEndpointSnapshot', () => {
  it('maps every delivery setting', () => {
    const filter = { path: 'amount', op: 'gte', value: 10 };
    const s = toEndpointSnapshot(endpoint({ initiatedFrom: ['public', 'api'], listId: '7', filter, format: 'form', rateLimitPerSecond: 5, maxConcurrency: 2, enabled: false }), [secret('s1', 'v1.cur', null)], NOW);
    expect(s).toEqual({
      kind: 'endpoint', id: 'ep_1', accountId: 'acc_1', url: 'https://example.com/hook', enabled: false, eventTypes: ['purchase', 'contact.*'],
      initiatedFrom: ['public', 'api'], listId: '7', filter, format: 'form', secrets: [{ secretEnc: 'v1.cur', expiresAt: null }],
      rateLimitPerSecond: 5, maxConcurrency: 2, version: 1, updatedAt: '2026-03-01T11:59:55.000Z',
    });
  });

  it('during a rotation carries the new secret first and the previous one until its overlap ends', () => {
    const s = toEndpointSnapshot(endpoint(), [secret('prev', 'v1.prev', at(86400), at(-1000)), secret('cur', 'v1.cur', null, at(-1)), secret('gone', 'v1.gone', at(-5))], NOW);
    expect(s.secrets).toEqual([
      { secretEnc: 'v1.cur', expiresAt: null },
      { secretEnc: 'v1.prev', expiresAt: '2026-03-02T12:00:00.000Z' },
    ]);
  });
});

describe('toAutomationSnapshot', () => {
  function automation(over: Partial<AutomationEntity> = {}): AutomationEntity {
    return Object.assign(
      {
        id: 'aut_1', accountId: 'acc_1', name: 'Tag buyers', enabled: true,
        trigger: { eventTypes: ['purchase'], sourceIds: null, filter: null },
        actions: [{ type: 'add_tag', tag: 'buyer' }, { type: 'webhook', endpointId: 'ep_1' }],
        version: 2, createdAt: at(-100), updatedAt: at(-1),
      },
      over,
    ) as AutomationEntity;
  }

  it('maps the trigger and actions', () => {
    expect(toAutomationSnapshot(automation())).toEqual({
      kind: 'automation', id: 'aut_1', accountId: 'acc_1', name: 'Tag buyers', enabled: true,
      trigger: { eventTypes: ['purchase'], sourceIds: null, filter: null },
      actions: [{ type: 'add_tag', tag: 'buyer' }, { type: 'webhook', endpointId: 'ep_1' }],
      version: 2, updatedAt: '2026-03-01T11:59:59.000Z',
    });
  });

  it('keeps only the fields of each action type', () => {
    const s = toAutomationSnapshot(automation({ actions: [{ type: 'add_to_list', listId: 'l1', tag: 'stray' }] }));
    expect(s.actions).toEqual([{ type: 'add_to_list', listId: 'l1' }]);
  });

  it('refuses an action of unknown type', () => {
    expect(() => toAutomationSnapshot(automation({ actions: [{ type: 'send_sms' }] }))).toThrow(/unknown/);
  });
});
