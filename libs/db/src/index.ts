export * from './entities/control.entities';
export * from './data-source';
export * from './keyset';
export { DataSource, type EntityManager, type Repository } from 'typeorm';
