export * from './json-schema';
export * from './asyncapi';
export * from './compat';
export * from './published';
export * from './asyncapi-html';
export * from './webhooks';
