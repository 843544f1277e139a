import 'reflect-metadata';
import { createDataSource, migrateWithLock } from '../data-source';
import { errorMessage } from '@hookstream/contracts';

/** `npm run db:migrate`: applies migrations to DATABASE_URL under the advisory lock. */
async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'] ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream';
  const ds = createDataSource({ url, poolSize: 2, applicationName: 'hookstream-migrate' });
  await ds.initialize();
  try {
    const ran = await migrateWithLock(ds, (m) => console.log(m));
    console.log(ran.length ? `migrated (${ran.length})` : 'database is up to date');
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(`migration failed: ${errorMessage(err)}\nCheck DATABASE_URL and that PostgreSQL is running (npm run infra:up).`);
  process.exit(1);
});
