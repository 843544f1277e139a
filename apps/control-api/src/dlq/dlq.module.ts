import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { DlqRecorderService } from './dlq-recorder.service';
import { DlqController } from './dlq.controller';
import { DlqRepository } from './dlq.repository';
import { DlqService } from './dlq.service';

@Module({})
export class DlqModule {
  /** `recorder: false` (the CLI) lists and handles what the running service recorded, without consuming. */
  static register(opts: { recorder: boolean }): DynamicModule {
    return {
      module: DlqModule,
      imports: [AuthModule],
      controllers: [DlqController],
      providers: [DlqRepository, DlqService, ...(opts.recorder ? [DlqRecorderService] : [])],
      exports: [DlqService],
    };
  }
}
