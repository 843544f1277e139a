import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ConfigPublisherModule } from '../config-publisher/config-publisher.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { SourcesModule } from '../sources/sources.module';
import { AutomationsController } from './automations.controller';
import { AutomationsRepository } from './automations.repository';
import { AutomationsService } from './automations.service';

@Module({
  imports: [AuthModule, ConfigPublisherModule, EndpointsModule, SourcesModule],
  controllers: [AutomationsController],
  providers: [AutomationsRepository, AutomationsService],
  exports: [AutomationsService],
})
export class AutomationsModule {}
