// The owner of `dlq_messages`: its states, row type, and the only code that reads or writes it.
// apps/projector records the `*.dlq` topics (DlqRecorderModule); control-api lists, replays and
// discards through DlqRepository.
export * from './dlq-record';
export * from './dlq.repository';
export * from './dlq-recorder.settings';
export * from './dlq-recorder.service';
export * from './dlq-recorder.module';
