export * from './tokens';
export * from './health';
export * from './logging';
export * from './core.module';
export * from './bootstrap';
export * from './metrics';
export * from './config-cache';
export * from './retention';
