import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'tools', 'runtime', 'node-flags.sh');
const APPS = ['control-api', 'ingest-gateway', 'validator', 'enricher', 'automation', 'delivery', 'projector'];

function flagsOf(app: string, env: NodeJS.ProcessEnv = {}): string[] {
  return execFileSync('sh', [SCRIPT, app], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8' }).split(/\s+/).filter(Boolean);
}

/**
 * The largest new space seen while short-lived garbage grows it as far as the flags let it. V8 sizes
 * it by heuristics that a busy machine moves: a single reading at the end was 32 instead of 64 MiB
 * in one of six runs beside two busy processes, so it is sampled all along, over more garbage.
 */
function newSpaceMiB(flags: string[]): number {
  const churn = `const v8 = require('v8');
    const size = () => v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space').space_size;
    let max = 0; let a = [];
    for (let i = 0; i < 1e7; i++) { a.push({ i }); if (a.length > 2e5) { a = []; max = Math.max(max, size()); } }
    process.stdout.write(String(Math.max(max, size()) / 1048576));`;
  const r = spawnSync(process.execPath, [...flags, '-e', churn], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return Number(r.stdout);
}

describe('tools/runtime/node-flags.sh', () => {
  it('gives automation 16 MB semi-spaces and the other apps Node’s defaults', () => {
    expect(flagsOf('automation')).toEqual(['--max-semi-space-size=16']);
    for (const app of APPS.filter((a) => a !== 'automation')) expect(flagsOf(app)).toEqual([]);
  });

  it('gives nothing with HOOKSTREAM_APP_NODE_FLAGS=off (A/B runs)', () => {
    expect(flagsOf('automation', { HOOKSTREAM_APP_NODE_FLAGS: 'off' })).toEqual([]);
  });

  // Node's default semi-space follows the machine's memory (16 MB on a small CI runner, 32 MB on
  // this 23 GiB VM), so the flag is compared with a roomier explicit one, not with the default.
  it('is accepted by this Node, and caps the young generation it is there for', () => {
    for (const app of APPS) expect(spawnSync(process.execPath, [...flagsOf(app), '-e', '0']).status).toBe(0);
    const capped = newSpaceMiB(flagsOf('automation'));
    expect(capped).toBeLessThanOrEqual(48);
    expect(newSpaceMiB(['--max-semi-space-size=64'])).toBeGreaterThan(capped);
  });

  it('is where every launcher takes the flags from: the image, npm start, nx serve, the e2e helper and benches', () => {
    const cmd = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('CMD '));
    expect(cmd).toContain('$(sh tools/runtime/node-flags.sh \\"$APP\\")');
    expect(readFileSync(join(ROOT, 'tools', 'dev', 'run-all.sh'), 'utf8')).toContain('node $(sh tools/runtime/node-flags.sh "$app") -r ./tools/runtime/register.js');
    for (const app of APPS) {
      const serve = JSON.parse(readFileSync(join(ROOT, 'apps', app, 'project.json'), 'utf8')).targets.serve.options.command as string;
      expect(serve).toBe(`node $(sh tools/runtime/node-flags.sh ${app}) -r ./tools/runtime/register.js dist/apps/${app}/src/main.js`);
    }
    expect(readFileSync(join(ROOT, 'e2e', 'support', 'pipeline.ts'), 'utf8')).toContain("execFileSync('sh', [join(ROOT, 'tools', 'runtime', 'node-flags.sh'), app]");
  });
});
