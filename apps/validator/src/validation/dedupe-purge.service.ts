import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DedupeRepository } from './dedupe.repository';
import { errorMessage } from '@hookstream/contracts';

/** Keeps dedupe_keys bounded: every few minutes, expired keys are deleted in chunks. */
@Injectable()
export class DedupePurgeService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger(DedupePurgeService.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly repo: DedupeRepository) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purge(), 5 * 60 * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async purge(): Promise<void> {
    try {
      let n = 0;
      for (let i = 0; i < 20; i++) {
        const d = await this.repo.purgeExpired();
        n += d;
        if (d === 0) break;
      }
      if (n > 0) this.log.log(`purged ${n} expired dedupe key(s)`);
    } catch (err) {
      this.log.warn(`dedupe purge failed, will retry: ${errorMessage(err)}`);
    }
  }
}
