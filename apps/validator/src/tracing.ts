// Imported first by main.ts: the OpenTelemetry SDK (when OTEL_* asks for it) must patch http, undici
// and pg before anything loads them.
import { startTracing } from '@hookstream/telemetry';

startTracing('hookstream-validator');
