import { Injectable } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { ConfigPublisherService } from '@hookstream/config-store';
import { EndpointsService } from '../endpoints/endpoints.service';
import { SourcesService } from '../sources/sources.service';

export const DEMO_ACCOUNT_NAME = 'Demo';
export const DEMO_SOURCE_NAME = 'Demo shop';
/** The previous demo token keeps working for a while, so a re-seed does not break a running sender. */
const DEMO_TOKEN_GRACE_SECONDS = 3600;

export interface DemoSeedResult {
  accountId: string;
  apiKey: string;
  sourceId: string;
  sourceToken: string;
  sourceUrl: string;
  endpointId: string;
  endpointSecret: string;
}

/**
 * Creates the demo tenant, or reuses it: the account, source and endpoint are found by name/URL.
 * Credentials that are stored only as hashes cannot be shown again, so a re-run issues a fresh
 * API key and rotates the source token; the endpoint secret is sealed, so it is reused.
 */
@Injectable()
export class DemoSeed {
  constructor(
    private readonly accounts: AccountsService,
    private readonly sources: SourcesService,
    private readonly endpoints: EndpointsService,
    private readonly publisher: ConfigPublisherService,
  ) {}

  async run(opts: { inboxUrl: string; publicBaseUrl?: string }): Promise<DemoSeedResult> {
    let account = await this.accounts.findAccountByName(DEMO_ACCOUNT_NAME);
    let apiKey: string;
    if (account) {
      apiKey = (await this.accounts.createApiKey(account.id, 'demo', 'write')).key;
    } else {
      const created = await this.accounts.createAccount(DEMO_ACCOUNT_NAME);
      account = created.account;
      apiKey = created.key;
    }
    const accountId = account.id;

    const existingSource = await this.sources.findByName(accountId, DEMO_SOURCE_NAME);
    const src = existingSource
      ? await this.sources.rotateToken(accountId, existingSource.id, DEMO_TOKEN_GRACE_SECONDS, { publicBaseUrl: opts.publicBaseUrl })
      : await this.sources.create(accountId, { name: DEMO_SOURCE_NAME, dialect: 'activly' }, { publicBaseUrl: opts.publicBaseUrl });

    const ep = await this.demoEndpoint(accountId, opts.inboxUrl);
    // The demo account is re-seeded often; whatever of it the topic still has but the database
    // does not (a database reset under a kept broker) must not keep receiving the demo's events.
    await this.publisher.pruneOrphans({ accountIds: [accountId] });
    return { accountId, apiKey, sourceId: src.source.id, sourceToken: src.token, sourceUrl: src.url, ...ep };
  }

  private async demoEndpoint(accountId: string, inboxUrl: string): Promise<{ endpointId: string; endpointSecret: string }> {
    const existing = await this.endpoints.findByUrl(accountId, inboxUrl);
    if (existing) {
      const secret = await this.endpoints.currentSecret(existing.id).catch(() => undefined);
      if (secret !== undefined) {
        // Re-publishes its snapshot too, so a fresh config topic learns about it.
        await this.endpoints.setEnabled(accountId, existing.id, true);
        return { endpointId: existing.id, endpointSecret: secret };
      }
      // Sealed under another SECRETS_KEY (the key was replaced): nothing can sign with it any more,
      // so the demo endpoint is replaced by a fresh one below.
      await this.endpoints.remove(accountId, existing.id);
    }
    // The inbox is a local http receiver: the production URL policy (https, port 443, public address) does not apply.
    const ep = await this.endpoints.create(
      accountId,
      { url: inboxUrl, eventTypes: ['*'], format: 'json' },
      { urlOverride: { policy: { allowHttp: true, allowedPorts: 'any' }, anyAddress: true } },
    );
    return { endpointId: ep.endpoint.id, endpointSecret: ep.secret };
  }
}
