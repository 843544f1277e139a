import { DynamicModule, Module } from '@nestjs/common';
import { CoreModule } from '@hookstream/platform';
import type { EnricherConfig } from './enricher.config';
import { EnrichmentConsumer } from './enrichment/enrichment.consumer';
import { EnrichmentService } from './enrichment/enrichment.service';
import { NamesRepository } from './enrichment/names.repository';

@Module({})
export class AppModule {
  static register(config: EnricherConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot({ appName: 'enricher', config, database: true })],
      controllers: [EnrichmentConsumer],
      providers: [NamesRepository, EnrichmentService],
    };
  }
}
