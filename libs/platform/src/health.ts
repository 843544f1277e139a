import { Controller, Get, HttpCode, Injectable, ServiceUnavailableException } from '@nestjs/common';

export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ok: boolean; detail: string }>;
}

/** Every dependency an app needs registers here; `/health/ready` is the conjunction of them. */
@Injectable()
export class HealthRegistry {
  private readonly checks: ReadinessCheck[] = [];
  shuttingDown = false;

  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** `only`: evaluate just these checks (the consumer asks about its dependencies before dead-lettering). */
  async evaluate(opts: { only?: string[] } = {}): Promise<{ ok: boolean; checks: Record<string, { ok: boolean; detail: string }> }> {
    const selected = opts.only ? this.checks.filter((c) => opts.only?.includes(c.name)) : this.checks;
    const results = await Promise.all(selected.map(async (c) => [c.name, await c.check().catch((e: unknown) => ({ ok: false, detail: String(e) }))] as const));
    const checks = Object.fromEntries(results);
    const ok = !this.shuttingDown && results.every(([, r]) => r.ok);
    if (this.shuttingDown) checks['shutdown'] = { ok: false, detail: 'draining' };
    return { ok, checks };
  }
}

@Controller('health')
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  /** Liveness: the event loop answers. Dependencies are deliberately not checked here. */
  @Get('live')
  @HttpCode(200)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: every registered dependency (Kafka, PostgreSQL, config caught up …) answers. */
  @Get('ready')
  async ready(): Promise<{ status: 'ready'; checks: Record<string, { ok: boolean; detail: string }> }> {
    const r = await this.registry.evaluate();
    if (!r.ok) throw new ServiceUnavailableException({ status: 'not_ready', checks: r.checks });
    return { status: 'ready', checks: r.checks };
  }
}
