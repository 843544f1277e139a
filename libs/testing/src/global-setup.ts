import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Integration/e2e harness: brings up the real local Kafka and PostgreSQL once per run through the
 * project's own scripts (idempotent; honours KAFKA_BROKERS / DATABASE_URL for existing ones) and
 * points every test at the `hookstream_test` database.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const out = execFileSync('bash', [join(root, 'tools/infra/up.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  for (const line of out.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line.trim());
    if (m && !process.env[m[1]]) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  // Tests publish to the project's topics before any app has run (auto-creation is off).
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(root, 'libs/kafka/src/cli/create-topics.ts')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.json') },
  });
  if (!process.env['TEST_DATABASE_URL']) {
    const base = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
    process.env['TEST_DATABASE_URL'] = base.replace(/\/[^/?]+(\?|$)/, '/hookstream_test$1');
  }
}
