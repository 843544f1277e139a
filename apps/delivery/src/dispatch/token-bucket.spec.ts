import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows a burst of one second, then the sustained rate', () => {
    let t = 0;
    const b = new TokenBucket(5, () => t);
    let taken = 0;
    while (b.tryTake()) taken++;
    expect(taken).toBe(5);
    expect(b.msUntilToken()).toBe(200);
    t += 200;
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
  });

  it('allows one request at a time for rates below one per second', () => {
    let t = 0;
    const b = new TokenBucket(0.5, () => t);
    expect(b.tryTake()).toBe(true);
    expect(b.tryTake()).toBe(false);
    expect(b.msUntilToken()).toBe(2000);
    t += 2000;
    expect(b.tryTake()).toBe(true);
  });
});
