// Integration and e2e tests: real Kafka and PostgreSQL of the run's own, started once per run by globalSetup.
import type { Config } from 'jest';
import preset from './jest.preset.js';

const config: Config = {
  ...preset,
  rootDir: '.',
  testMatch: ['<rootDir>/apps/*/test/**/*.int-spec.ts', '<rootDir>/libs/*/test/**/*.int-spec.ts', '<rootDir>/e2e/**/*.e2e-spec.ts', '<rootDir>/k8s/test/**/*.int-spec.ts'],
  // HOOKSTREAM_DOCKER=0 (no Docker engine, by choice): the compose e2e cannot run, and is left out on purpose.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', ...(process.env['HOOKSTREAM_DOCKER'] === '0' ? ['/e2e/compose\\.e2e-spec\\.ts$'] : [])],
  // A Kafka broker and a PostgreSQL server of this run's own (testcontainers, else local processes).
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  testTimeout: 120_000,
  maxWorkers: 1,
  // kafkajs leaves retry timers behind after disconnect; don't let them hold the run open.
  forceExit: true,
};
export default config;
