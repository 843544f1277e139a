export * from './test-env';
export * from './kafka-positions';
export * from './databases';
export * from './local-kafka';
export { freePorts, startPrivateKafka, type KafkaInstance } from './test-infra';
export * from './private-postgres';
export * from './statement-counter';
export * from './query-plans';
