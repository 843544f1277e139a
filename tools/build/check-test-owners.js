#!/usr/bin/env node
// Every unit spec belongs to an Nx project whose `test` target runs it, so `nx affected -t test`
// (and `nx run <project>:test`) never leaves a spec out. A spec outside every project, or in a
// project without a test target, fails `npm test` with the file named.
//   node tools/build/check-test-owners.js
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join, dirname } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const git = (...args) => execFileSync('git', ['ls-files', '-co', '--exclude-standard', ...args], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

const projects = git('project.json', '**/project.json')
  .filter((f) => !f.startsWith('node_modules/'))
  .map((f) => {
    const json = JSON.parse(readFileSync(join(ROOT, f), 'utf8'));
    return { root: dirname(f), name: json.name, test: json.targets?.test?.options?.command ?? null };
  })
  // the most specific (longest) root first: a spec belongs to the nearest project above it
  .sort((a, b) => b.root.length - a.root.length);

const problems = [];
for (const spec of git('*.spec.ts', '*.spec.tsx')) {
  const owner = projects.find((p) => p.root === '.' || spec.startsWith(`${p.root}/`));
  if (!owner) problems.push(`${spec}: in no Nx project (add a project.json with a test target above it)`);
  else if (!owner.test) problems.push(`${spec}: project ${owner.name} (${owner.root}) has no test target`);
  else if (!owner.test.includes(owner.root)) problems.push(`${spec}: ${owner.name}:test (${owner.test}) does not run ${owner.root}`);
}
if (problems.length) {
  console.error(`unit specs that \`nx affected -t test\` would miss:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`${projects.length} projects own every unit spec`);
