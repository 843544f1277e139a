import { Module } from '@nestjs/common';
import { DlqRepository } from '@hookstream/dlq-store';
import { AuthModule } from '../auth/auth.module';
import { DlqController } from './dlq.controller';
import { DlqService } from './dlq.service';

/** List, replay and discard what apps/projector's recorder wrote to `dlq_messages` (libs/dlq-store). */
@Module({
  imports: [AuthModule],
  controllers: [DlqController],
  providers: [DlqRepository, DlqService],
  exports: [DlqService],
})
export class DlqModule {}
