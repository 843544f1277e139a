import { rmSync } from 'node:fs';
import { takeTestInfraRun } from './global-setup';

/** Stops and removes the broker and database server the global setup started for this run. */
export default async function globalTeardown(): Promise<void> {
  const state = takeTestInfraRun();
  if (!state) return;
  const results = await Promise.allSettled([state.kafka?.destroy(), state.postgres?.destroy()]);
  rmSync(state.run.dir, { recursive: true, force: true });
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) {
    throw new Error(`test infrastructure teardown failed (the next run removes leftovers): ${failed.map((f) => String(f.reason)).join('; ')}`);
  }
}
