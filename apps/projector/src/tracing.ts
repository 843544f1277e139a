// Imported first by main.ts: the OpenTelemetry SDK (when OTEL_* asks for it) must patch kafkajs
// and pg before anything loads them.
import { startTracing } from '@hookstream/telemetry';

startTracing('hookstream-projector');
