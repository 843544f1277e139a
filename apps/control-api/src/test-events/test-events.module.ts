import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SourcesModule } from '../sources/sources.module';
import { TestEventsController } from './test-events.controller';
import { TestEventsService } from './test-events.service';

@Module({ imports: [AuthModule, SourcesModule], controllers: [TestEventsController], providers: [TestEventsService] })
export class TestEventsModule {}
