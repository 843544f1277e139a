import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConfigStoreModule } from '@hookstream/config-store';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { SourcesModule } from '../sources/sources.module';
import { AutomationsController } from './automations.controller';
import { AutomationsRepository } from './automations.repository';
import { AutomationsService } from './automations.service';

@Module({
  imports: [AuthModule, ConfigStoreModule, EndpointsModule, SourcesModule],
  controllers: [AutomationsController],
  providers: [AutomationsRepository, AutomationsService],
  exports: [AutomationsService],
})
export class AutomationsModule {}
