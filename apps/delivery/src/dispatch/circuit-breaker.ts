export type CircuitState = 'closed' | 'open' | 'half_open';

/** What the breaker says about sending one more request now. */
export type CircuitPermit =
  | { kind: 'go' }
  /** Half-open and a probe is already out: hold queued work until it answers. */
  | { kind: 'wait' }
  /** Open: nothing goes until `retryAt` (epoch ms). */
  | { kind: 'reject'; retryAt: number };

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  cooldownMs: number;
}

/**
 * Per-endpoint circuit breaker: after `failureThreshold` consecutive failures the endpoint
 * gets no traffic for `cooldownMs`; then exactly one probe goes out (half-open). The probe's
 * success closes the circuit, its failure opens it for another cool-down. This keeps a dead
 * endpoint from absorbing a retry storm while still noticing quickly when it comes back.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;

  constructor(
    private readonly opts: CircuitBreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.opts.cooldownMs ? 'half_open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Looks without taking anything: `acquire` must follow a `go` for the request that is sent. */
  check(): CircuitPermit {
    const state = this.state;
    if (state === 'closed') return { kind: 'go' };
    if (state === 'open') return { kind: 'reject', retryAt: (this.openedAt as number) + this.opts.cooldownMs };
    return this.probeInFlight ? { kind: 'wait' } : { kind: 'go' };
  }

  /** Called when a request is actually sent; in half-open it becomes the one probe. */
  acquire(): void {
    if (this.state === 'half_open') this.probeInFlight = true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probeInFlight = false;
  }

  onFailure(): void {
    this.failures++;
    const wasProbe = this.probeInFlight;
    this.probeInFlight = false;
    if (wasProbe || (this.openedAt === null && this.failures >= this.opts.failureThreshold)) this.openedAt = this.now();
  }

  /** The request ended without saying anything about the endpoint's health (e.g. refused locally). */
  onNeutral(): void {
    this.probeInFlight = false;
  }

  /** Nothing worth remembering: the lane holding it may be forgotten. */
  get pristine(): boolean {
    return this.failures === 0 && this.openedAt === null && !this.probeInFlight;
  }
}
