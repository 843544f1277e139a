import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CommonModule } from '../common/common.module';
import { ConfigPublisherModule } from '../config-publisher/config-publisher.module';
import { SourcesController } from './sources.controller';
import { SourcesRepository } from './sources.repository';
import { SourcesService } from './sources.service';

@Module({
  imports: [AuthModule, CommonModule, ConfigPublisherModule],
  controllers: [SourcesController],
  providers: [SourcesRepository, SourcesService],
  exports: [SourcesService, SourcesRepository],
})
export class SourcesModule {}
