import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@hookstream/config';
import { parseArgs } from 'node:util';
import { AccountsService } from './accounts/accounts.service';
import { CliLogger } from './cli/cli-logger';
import { CliModule } from './cli/cli.module';
import { DemoSeed } from './cli/demo-seed';
import { ConfigPublisherService } from './config-publisher/config-publisher.service';
import { ControlApiConfig } from './control-api.config';

const USAGE = `Usage: hookstream <command> [options]

Commands:
  create-account --name <name> [--json]
      Creates an account and its first write API key (printed once).
  seed-demo --inbox-url <url> [--public-base-url <url>] [--json]
      Creates (or reuses) the "Demo" account with an Activly source "Demo shop" and an endpoint
      delivering every event to <url>; prints fresh credentials.
  republish-config
      Re-sends every source, endpoint and automation snapshot to the config topic (disaster recovery),
      and tombstones what the topic still has for this database's accounts but the database does not.

Configuration comes from the same environment variables as the control-api service
(DATABASE_URL, KAFKA_BROKERS, SECRETS_KEY, PUBLIC_BASE_URL, ...).
`;

class UsageError extends Error {}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

function print(json: boolean, result: Record<string, unknown>, lines: string[]): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${lines.join('\n')}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'inbox-url': { type: 'string' },
      'public-base-url': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!['create-account', 'seed-demo', 'republish-config'].includes(command)) throw new UsageError(`unknown command "${command}"`);
  // Check arguments before connecting to anything.
  const name = command === 'create-account' ? required(values, 'name') : '';
  const inboxUrl = command === 'seed-demo' ? required(values, 'inbox-url') : '';
  if (inboxUrl && !URL.canParse(inboxUrl)) throw new UsageError('--inbox-url must be an absolute URL');
  const publicBaseUrl = values['public-base-url'];

  const config = loadConfig(ControlApiConfig);
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] ??= '1';
  // A command's output is its result; routine service logging (the default "info") would drown it.
  const logger = new CliLogger(config.LOG_LEVEL === 'info' ? 'error' : config.LOG_LEVEL);
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger, abortOnError: false });
  try {
    const json = values.json === true;
    switch (command) {
      case 'create-account': {
        const { account, key } = await app.get(AccountsService).createAccount(name);
        print(json, { accountId: account.id, name: account.name, apiKey: key }, [
          `account  ${account.id} (${account.name})`,
          `api key  ${key}`,
          '',
          'The API key is shown only now; store it safely. Use it as: Authorization: Bearer <api key>',
        ]);
        return 0;
      }
      case 'seed-demo': {
        const r = await app.get(DemoSeed).run({ inboxUrl, publicBaseUrl: publicBaseUrl?.replace(/\/+$/, '') });
        print(json, { ...r }, [
          `accountId       ${r.accountId}`,
          `apiKey          ${r.apiKey}`,
          `sourceId        ${r.sourceId}`,
          `sourceToken     ${r.sourceToken}`,
          `sourceUrl       ${r.sourceUrl}`,
          `endpointId      ${r.endpointId}`,
          `endpointSecret  ${r.endpointSecret}`,
        ]);
        return 0;
      }
      default: {
        const publisher = app.get(ConfigPublisherService);
        const counts = await publisher.republishAll();
        const pruned = await publisher.pruneOrphans();
        print(json, { ...counts, pruned }, [
          `republished ${counts.sources} source(s), ${counts.endpoints} endpoint(s), ${counts.automations} automation(s)`,
          `tombstoned ${pruned.sources} source(s), ${pruned.endpoints} endpoint(s), ${pruned.automations} automation(s) no longer in the database`,
        ]);
        return 0;
      }
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${msg}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exitCode = err instanceof UsageError || (err instanceof TypeError && 'code' in err) ? 2 : 1;
  },
);
