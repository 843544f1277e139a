export * from './entities/control.entities';
export * from './data-source';
export * from './keyset';
export { preparedStatement, preparedStatementName } from './prepared';
export { LZ4_COLUMNS, payloadCompressionSql } from './migrations/1764800000000-lz4-compression';
export { DataSource, type EntityManager, type Repository } from 'typeorm';
export { dedupeKeyBytesSql } from './migrations/1765000000000-dedupe-key-bytes';
