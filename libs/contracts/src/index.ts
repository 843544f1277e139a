export * from './topics';
export * from './envelope';
export * from './ids';
export * from './events/canonical-event.dto';
export * from './events/raw-event.dto';
export * from './delivery/delivery.dto';
export * from './config/config-change';
export * from './topic-contracts';
