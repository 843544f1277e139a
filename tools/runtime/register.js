// Runtime resolution of @hookstream/* aliases for the compiled output in dist/ (tsc keeps the
// import specifiers; this maps them to dist/libs/<lib>/src/index.js). Used by every app process.
const { join } = require('node:path');
const tsconfigPaths = require('tsconfig-paths');
const { compilerOptions } = require('../../tsconfig.base.json');

const paths = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  paths[alias] = [target.replace(/\.ts$/, '.js')];
}
tsconfigPaths.register({ baseUrl: join(__dirname, '..', '..', 'dist'), paths });
