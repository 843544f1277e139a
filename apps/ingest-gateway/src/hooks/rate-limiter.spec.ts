import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with a retry delay, then refills', () => {
    const rl = new RateLimiter(2);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) expect(rl.take('s', 10, 1, t0)).toBe(0);
    expect(rl.take('s', 10, 1, t0)).toBeGreaterThanOrEqual(1);
    expect(rl.take('other', 10, 1, t0)).toBe(0);
    expect(rl.take('s', 10, 1, t0 + 200)).toBe(0);
  });

  it('charges a batch by its size', () => {
    const rl = new RateLimiter(1);
    expect(rl.take('s', 5, 5, 0)).toBe(0);
    expect(rl.take('s', 5, 1, 0)).toBe(1);
  });
});
