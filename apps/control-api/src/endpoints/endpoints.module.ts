import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CommonModule } from '../common/common.module';
import { ConfigPublisherModule } from '../config-publisher/config-publisher.module';
import { EndpointsController } from './endpoints.controller';
import { EndpointsRepository } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';

@Module({
  imports: [AuthModule, CommonModule, ConfigPublisherModule],
  controllers: [EndpointsController],
  providers: [EndpointsRepository, EndpointsService],
  exports: [EndpointsService, EndpointsRepository],
})
export class EndpointsModule {}
