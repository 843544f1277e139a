export * from './load-config';
export * from './base.config';
export * from './dev-keys';
export * from './trust-proxy';
export * from './kafka.config';
