// The owner of `endpoints`, `endpoint_secrets` and `endpoint_health`, and the publisher of the
// config topic (snapshots of sources, endpoints, automations): the only code that writes them.
export * from './snapshot.mapper';
export * from './config-publisher.service';
export * from './endpoints.repository';
export * from './endpoint-health.repository';
export * from './health-fold';
export * from './endpoint-auto-disable.service';
export * from './config-store.module';
export * from './endpoint-health.settings';
export * from './endpoint-health.service';
export * from './endpoint-health.module';
