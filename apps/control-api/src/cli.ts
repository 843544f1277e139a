import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@hookstream/config';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AccountsService } from './accounts/accounts.service';
import { API_KEY_SCOPES, type ApiKeyScope } from './auth/caller';
import { CliLogger } from './cli/cli-logger';
import { MAX_PAGE_SIZE } from './common/pagination';
import type { DlqMessageView } from './dlq/dlq.dto';
import { DLQ_STATES, type DlqState } from '@hookstream/dlq-store';
import { DlqService, type DlqActor } from './dlq/dlq.service';
import { CliModule } from './cli/cli.module';
import { DemoSeed } from './cli/demo-seed';
import { ConfigPublisherService } from '@hookstream/config-store';
import { ControlApiConfig } from './control-api.config';
import { errorMessage } from '@hookstream/contracts';

const USAGE = `Usage: hookstream <command> [options]

Commands:
  create-account --name <name> [--json]
      Creates an account and its first write API key (printed once).
  seed-demo --inbox-url <url> [--public-base-url <url>] [--json]
      Creates (or reuses) the "Demo" account with an Activly source "Demo shop" and an endpoint
      delivering every event to <url>; prints fresh credentials.
  create-api-key --account <id> --scope read|write|admin [--name <name>] [--json]
      Creates an API key for an account (printed once); the way to get a first admin key.
  dlq-list [--topic <t>] [--group <g>] [--state pending|replayed|discarded] [--account <id>] [--limit <n>] [--json]
      Lists recorded dead letters (every account, also those whose account is unknown), newest first.
  dlq-replay <id>... | --all [--topic <t>] [--group <g>] [--account <id>]
      Sends dead letters back to their original topic for the consumer group that failed, once each.
  dlq-discard <id>... --reason <text>
      Marks dead letters discarded (recorded with who, when and why); they can no longer be replayed.
  republish-config
      Re-sends every source, endpoint and automation snapshot to the config topic (disaster recovery),
      and tombstones what the topic still has for this database's accounts but the database does not.

Configuration comes from the same environment variables as the control-api service
(DATABASE_URL, KAFKA_BROKERS, SECRETS_KEY, PUBLIC_BASE_URL, ...).
`;

class UsageError extends Error {}

/** The CLI acts as an operator: every account (or the one given), recorded as `cli:<user>`. */
function operator(account: string | undefined): DlqActor {
  return { accountId: account, by: `cli:${process.env['USER'] ?? userInfo().username}` };
}

function dlqLine(d: DlqMessageView): string {
  return `${d.id}  ${d.state}  ${d.topic}  group=${d.group ?? '?'}  attempts=${d.attempts ?? '?'}  ${d.failedAt ?? ''}  ${(d.error ?? '').slice(0, 120)}`;
}

async function allPending(dlq: DlqService, actor: DlqActor, topic: string | undefined, group: string | undefined): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await dlq.list(actor, { topic, group, state: 'pending', limit: MAX_PAGE_SIZE, cursor });
    ids.push(...page.data.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  // Oldest first: the order they failed in.
  return ids.reverse();
}

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
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      'inbox-url': { type: 'string' },
      'public-base-url': { type: 'string' },
      json: { type: 'boolean', default: false },
      account: { type: 'string' },
      scope: { type: 'string' },
      topic: { type: 'string' },
      group: { type: 'string' },
      state: { type: 'string' },
      limit: { type: 'string' },
      reason: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const commands = ['create-account', 'create-api-key', 'seed-demo', 'republish-config', 'dlq-list', 'dlq-replay', 'dlq-discard'];
  if (!commands.includes(command)) throw new UsageError(`unknown command "${command}"`);
  const ids = positionals;
  if (command === 'create-api-key') {
    required(values, 'account');
    if (!API_KEY_SCOPES.includes(required(values, 'scope') as ApiKeyScope)) throw new UsageError(`--scope must be one of ${API_KEY_SCOPES.join(', ')}`);
  }
  if (command === 'dlq-replay' && ids.length === 0 && values.all !== true) throw new UsageError('dlq-replay needs dead letter ids, or --all (with optional --topic/--group/--account filters)');
  if (command === 'dlq-discard') {
    if (ids.length === 0) throw new UsageError('dlq-discard needs dead letter ids');
    required(values, 'reason');
  }
  if (values.state !== undefined && !DLQ_STATES.includes(values.state as DlqState)) throw new UsageError(`--state must be one of ${DLQ_STATES.join(', ')}`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new UsageError(`--limit must be 1..${MAX_PAGE_SIZE}`);
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
      case 'create-api-key': {
        const { apiKey, key } = await app.get(AccountsService).createApiKey(values.account as string, values.name ?? `cli ${values.scope as string}`, values.scope as ApiKeyScope);
        print(json, { accountId: apiKey.accountId, keyId: apiKey.id, scope: apiKey.scope, apiKey: key }, [`api key  ${key}  (${apiKey.scope}, account ${apiKey.accountId})`, '', 'Shown only now; store it safely.']);
        return 0;
      }
      case 'dlq-list': {
        const page = await app.get(DlqService).list(operator(values.account), { topic: values.topic, group: values.group, state: values.state as DlqState | undefined, limit });
        print(json, { ...page }, page.data.length === 0 ? ['no dead letters'] : page.data.map(dlqLine));
        return 0;
      }
      case 'dlq-replay': {
        const dlq = app.get(DlqService);
        const actor = operator(values.account);
        const targets = ids.length > 0 ? ids : await allPending(dlq, actor, values.topic, values.group);
        const done: DlqMessageView[] = [];
        for (const id of targets) done.push(await dlq.replay(actor, id));
        print(json, { replayed: done }, [...done.map((d) => `replayed ${d.id} → ${d.replayedTo ?? d.topic}`), `${done.length} dead letter(s) replayed`]);
        return 0;
      }
      case 'dlq-discard': {
        const dlq = app.get(DlqService);
        const actor = operator(values.account);
        const done: DlqMessageView[] = [];
        for (const id of ids) done.push(await dlq.discard(actor, id, values.reason as string));
        print(json, { discarded: done }, [...done.map((d) => `discarded ${d.id} (${d.topic}, group ${d.group ?? '?'})`), `${done.length} dead letter(s) discarded`]);
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
    const msg = errorMessage(err);
    process.stderr.write(`error: ${msg}\n${err instanceof UsageError ? `\n${USAGE}` : ''}`);
    process.exitCode = err instanceof UsageError || (err instanceof TypeError && 'code' in err) ? 2 : 1;
  },
);
