// The code other apps use to read `deliveries` / `delivery_attempts` (and make deliveries due):
// their statuses, row types and queries. apps/delivery writes them (src/storage/deliveries.repository.ts).
export * from './delivery-status';
export * from './delivery-records.repository';
export * from './delivery-stats.repository';
