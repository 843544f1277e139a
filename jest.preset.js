// Shared Jest settings: SWC transpiles TypeScript (with decorator metadata for NestJS),
// and @hookstream/* aliases resolve to each lib's index.ts, like tsconfig.base.json.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const swcrc = JSON.parse(readFileSync(join(__dirname, '.swcrc'), 'utf8'));
delete swcrc.$schema;
const { compilerOptions } = require('./tsconfig.base.json');
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  moduleNameMapper[`^${alias}$`] = join(__dirname, target);
}
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  setupFiles: ['reflect-metadata'],
};
