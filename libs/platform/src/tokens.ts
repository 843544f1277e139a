export const APP_CONFIG = Symbol('APP_CONFIG');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const APP_NAME = Symbol('APP_NAME');
