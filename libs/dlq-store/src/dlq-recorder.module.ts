import { DynamicModule, Module } from '@nestjs/common';
import { DlqRecorderService } from './dlq-recorder.service';
import { DLQ_RECORDER_SETTINGS, type DlqRecorderSettings } from './dlq-recorder.settings';
import { DlqRepository } from './dlq.repository';

/** The dead-letter recorder: apps/projector runs it; nothing else inserts into `dlq_messages`. */
@Module({})
export class DlqRecorderModule {
  static register(settings: DlqRecorderSettings): DynamicModule {
    return {
      module: DlqRecorderModule,
      providers: [{ provide: DLQ_RECORDER_SETTINGS, useValue: settings }, DlqRepository, DlqRecorderService],
      exports: [DlqRecorderService],
    };
  }
}
