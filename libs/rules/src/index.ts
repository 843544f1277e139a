export * from './filter';
export * from './event-types';
export * from './subscription-index';
export * from './automation-index';
export * from './loop-guard';
export * from './contacts';
export * from './plan';
