import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * The Nx module-boundary rules (eslint.config.mjs) on files written for the test: a test file that
 * imports across a forbidden scope or kind must fail lint, and the same file with an allowed import
 * must pass. The rule needs Nx's project graph; without a cached one it skips itself silently, so
 * the graph is computed first (as `npm test`'s lint step does).
 */
const ROOT = join(__dirname, '..', '..');

/** The real CLI on the repository's config (Jest cannot load the ESM config in-process), the file given on stdin. */
async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', filePath, '--format', 'json'], { cwd: ROOT, input: code, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`eslint exited ${r.status}: ${r.stderr}`);
  const [result] = JSON.parse(r.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries (lint)', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'nx', 'bin', 'nx.js'), 'show', 'projects'], { cwd: ROOT, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  }, 60_000);

  it('fails a test file of one app that imports another scope’s table owner (validator → feed-store)', async () => {
    const errors = await boundaryErrors('apps/validator/test/boundary-probe.int-spec.ts', "import { FeedRepository } from '@hookstream/feed-store';\nexport const probe = FeedRepository;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/scope:validate.*scope:shared/);
  });

  it('fails a unit spec of a pure lib that imports an infra lib (webhooks → feed-store)', async () => {
    const errors = await boundaryErrors('libs/webhooks/src/boundary-probe.spec.ts', "import { FeedRepository } from '@hookstream/feed-store';\nexport const probe = FeedRepository;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/kind:pure/);
  });

  it('passes the same import where the scope allows it (control-api reads the feed)', async () => {
    expect(await boundaryErrors('apps/control-api/test/boundary-probe.int-spec.ts', "import { FeedRepository } from '@hookstream/feed-store';\nexport const probe = FeedRepository;\n")).toEqual([]);
  });

  it('lets delivery and control-api use the owner of delivery’s tables, and no other app (ingest-gateway → delivery-store fails)', async () => {
    const code = "import { DELIVERY_STATUSES } from '@hookstream/delivery-store';\nexport const probe = DELIVERY_STATUSES;\n";
    expect(await boundaryErrors('apps/delivery/src/boundary-probe.ts', code)).toEqual([]);
    expect(await boundaryErrors('apps/control-api/src/boundary-probe.ts', code)).toEqual([]);
    const errors = await boundaryErrors('apps/ingest-gateway/test/boundary-probe.int-spec.ts', code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/scope:ingest/);
  });

  it('lets control-api and the projector use the owners of the endpoint and dead-letter tables, and no other app (delivery → config-store, validator → dlq-store fail)', async () => {
    const config = "import { EndpointsRepository } from '@hookstream/config-store';\nexport const probe = EndpointsRepository;\n";
    const dlq = "import { DlqRepository } from '@hookstream/dlq-store';\nexport const probe = DlqRepository;\n";
    for (const app of ['control-api', 'projector']) {
      expect(await boundaryErrors(`apps/${app}/src/boundary-probe.ts`, config)).toEqual([]);
      expect(await boundaryErrors(`apps/${app}/src/boundary-probe.ts`, dlq)).toEqual([]);
    }
    const fromDelivery = await boundaryErrors('apps/delivery/test/boundary-probe.int-spec.ts', config);
    expect(fromDelivery).toHaveLength(1);
    expect(fromDelivery[0]).toMatch(/scope:deliver/);
    const fromValidator = await boundaryErrors('apps/validator/src/boundary-probe.ts', dlq);
    expect(fromValidator).toHaveLength(1);
    expect(fromValidator[0]).toMatch(/scope:validate/);
  });
});
