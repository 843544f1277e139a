// Unit tests: *.spec.ts beside the code. Fakes allowed; no broker, no database.
import type { Config } from 'jest';
import preset from './jest.preset.js';

const config: Config = {
  ...preset,
  rootDir: '.',
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts', '<rootDir>/k8s/**/*.spec.ts', '<rootDir>/examples/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
export default config;
