// Decorator metadata (class-transformer's @Type reads it) must exist before any DTO class loads, whoever imports this first.
import 'reflect-metadata';
export * from './topics';
export * from './envelope';
export * from './ids';
export * from './events/canonical-event.dto';
export * from './events/raw-event.dto';
export * from './delivery/delivery.dto';
export * from './config/config-change';
export * from './topic-contracts';
export * from './outbound/webhook-events';
export * from './failures/failure-classifier';
export * from './failures/error-message';
export * from './dto-check';
