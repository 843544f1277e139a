export * from './headers';
export * from './standard-webhooks';
export * from './hmac-hex';
export * from './tokens';
export * from './secret-box';
export * from './form-payload';
export * from './ssrf';
export * from './retry-schedule';
