export * from './entities/control.entities';
export * from './entities/pipeline.entities';
export * from './data-source';
export { DataSource, type EntityManager, type Repository } from 'typeorm';
