import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let t = 0;
  const now = () => t;
  beforeEach(() => {
    t = 1_000_000;
  });

  it('stays closed below the threshold and resets on success', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, now);
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe('closed');
    expect(b.check()).toEqual({ kind: 'go' });
  });

  it('opens after N consecutive failures and rejects until the cool-down ends', () => {
    const b = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000 }, now);
    for (let i = 0; i < 3; i++) b.onFailure();
    expect(b.state).toBe('open');
    expect(b.check()).toEqual({ kind: 'reject', retryAt: 1_001_000 });
    t += 999;
    expect(b.check().kind).toBe('reject');
  });

  it('lets exactly one half-open probe through after the cool-down', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, now);
    b.onFailure();
    t += 1000;
    expect(b.state).toBe('half_open');
    expect(b.check()).toEqual({ kind: 'go' });
    b.acquire();
    expect(b.check()).toEqual({ kind: 'wait' });
  });

  it('closes when the probe succeeds', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, now);
    b.onFailure();
    t += 1000;
    b.acquire();
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
  });

  it('re-opens for a full cool-down when the probe fails', () => {
    const b = new CircuitBreaker({ failureThreshold: 5, cooldownMs: 1000 }, now);
    for (let i = 0; i < 5; i++) b.onFailure();
    t += 1500;
    b.acquire();
    b.onFailure();
    expect(b.check()).toEqual({ kind: 'reject', retryAt: t + 1000 });
  });

  it('a neutral outcome frees the probe slot without deciding', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1000 }, now);
    b.onFailure();
    t += 1000;
    b.acquire();
    b.onNeutral();
    expect(b.state).toBe('half_open');
    expect(b.check()).toEqual({ kind: 'go' });
  });
});
