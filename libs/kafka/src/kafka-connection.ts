import { Kafka, logLevel, type LogEntry } from 'kafkajs';

export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Receives kafkajs's own log lines (warn and above) so they end up in the app's structured log. */
  log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The single place kafkajs's client is constructed; the rest of the code sees this lib's interfaces. */
export function createKafkaClient(opts: KafkaConnectionOptions): Kafka {
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: opts.connectionTimeoutMs ?? 3000,
    requestTimeout: opts.requestTimeoutMs ?? 30000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      if (!opts.log) return;
      const { message, ...extra } = entry.log;
      opts.log(LEVELS[entry.level] ?? 'info', `kafka: ${message}`, { namespace: entry.namespace, ...extra });
    },
  });
}

export function parseBrokers(value: string): string[] {
  return value.split(',').map((b) => b.trim()).filter(Boolean);
}
