import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@hookstream/platform';
import { DedupePurgeService } from './validation/dedupe-purge.service';
import { DedupeRepository } from './validation/dedupe.repository';
import { ValidationConsumer } from './validation/validation.consumer';
import { ValidationService } from './validation/validation.service';
import type { ValidatorConfig } from './validator.config';

@Module({})
export class AppModule {
  static register(config: ValidatorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ appName: 'validator', config, database: true })],
      controllers: [ValidationConsumer],
      providers: [DedupeRepository, ValidationService, DedupePurgeService],
    };
  }
}
