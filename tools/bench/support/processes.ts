import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
/** Logs and raw profiles: bulky, machine-specific, not committed (.local/ is git-ignored). */
export const WORK_DIR = join(ROOT, '.local', 'bench');

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for the child to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class Child {
  readonly proc: ChildProcess;
  private exited: Promise<number | null>;

  constructor(readonly name: string, args: string[], env: NodeJS.ProcessEnv, readonly logFile: string) {
    mkdirSync(WORK_DIR, { recursive: true });
    const log = createWriteStream(logFile);
    this.proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.pipe(log);
    this.proc.stderr?.pipe(log);
    this.exited = new Promise((r) => this.proc.once('exit', (code) => r(code)));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Sends `signal`, waits up to `graceMs`, then SIGKILL. Resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.proc.exitCode;
    this.proc.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout') {
      this.proc.kill('SIGKILL');
      return this.exited;
    }
    return this.exited;
  }
}

export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
