import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildAsyncApi } from '../asyncapi';
import { breakingChanges, formatBreakingChanges } from '../compat';
import { PUBLISHED_ASYNCAPI_PATH, readPublished, serialise } from '../published';

/**
 * `npm run contracts:generate`: regenerates the committed AsyncAPI document from libs/contracts.
 * Refuses a breaking change to a published topic version: that needs a new topic (`.v2`).
 */
function main(): void {
  const root = resolve(__dirname, '..', '..', '..', '..');
  const next = buildAsyncApi();
  const published = readPublished(root);
  if (published) {
    const breaks = breakingChanges(published, next);
    if (breaks.length > 0) {
      process.stderr.write(
        `Not written: these changes break subscribers of a published topic version:\n${formatBreakingChanges(breaks)}\n` +
          'Keep the change compatible (add optional members, widen enums), or publish a new topic version: ' +
          'rename the topic in libs/contracts/src/topics.ts to `.v2` (libs/schemas/README.md, "Compatibility").\n',
      );
      process.exit(1);
    }
  }
  const out = serialise(next);
  writeFileSync(join(root, PUBLISHED_ASYNCAPI_PATH), out);
  process.stdout.write(`wrote ${PUBLISHED_ASYNCAPI_PATH} (${Object.keys(next['channels'] as object).length} channels)\n`);
}

main();
