// Integration and e2e tests: real Kafka and PostgreSQL of the run's own, started once per run by globalSetup.
import type { Config } from 'jest';
import preset from './jest.preset.js';

const config: Config = {
  ...preset,
  rootDir: '.',
  testMatch: ['<rootDir>/apps/*/test/**/*.int-spec.ts', '<rootDir>/libs/*/test/**/*.int-spec.ts', '<rootDir>/e2e/**/*.e2e-spec.ts', '<rootDir>/k8s/test/**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // A Kafka broker and a PostgreSQL server of this run's own (testcontainers, else local processes).
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
  // kafkajs leaves retry timers behind after disconnect; don't let them hold the run open.
  forceExit: true,
};
export default config;
