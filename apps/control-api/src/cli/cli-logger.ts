import type { LoggerService, LogLevel } from '@nestjs/common';

const ORDER: Record<string, number> = { fatal: 0, error: 1, warn: 2, info: 3, log: 3, debug: 4, verbose: 5, trace: 5, silent: -1 };

function text(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.stack ?? message.message;
  if (message && typeof message === 'object' && 'msg' in message) {
    const { msg, ...rest } = message as { msg: unknown };
    return Object.keys(rest).length ? `${String(msg)} ${JSON.stringify(rest)}` : String(msg);
  }
  return JSON.stringify(message);
}

/** Logs go to stderr so that stdout carries only the command's result (e.g. `--json`). */
export class CliLogger implements LoggerService {
  private readonly max: number;

  constructor(level: string) {
    this.max = ORDER[level] ?? ORDER['info'];
  }

  log(message: unknown, context?: string): void {
    this.write('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // The level comes from LOG_LEVEL.
  }

  private write(level: string, message: unknown, context?: string): void {
    if ((ORDER[level] ?? 3) > this.max) return;
    process.stderr.write(`${level.toUpperCase()}${context ? ` [${context}]` : ''} ${text(message)}\n`);
  }
}
