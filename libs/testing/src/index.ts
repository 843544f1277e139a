export * from './test-env';
export * from './kafka-positions';
