import { newTraceparent } from './envelope';
import { newId } from './ids';
import { randomPoolBytes } from './random-pool';

describe('randomPoolBytes', () => {
  it('returns independent copies of the requested length, across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const b = randomPoolBytes(12);
      expect(b).toHaveLength(12);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(5000);
    const kept = randomPoolBytes(16);
    const copy = Buffer.from(kept);
    for (let i = 0; i < 2000; i++) randomPoolBytes(16);
    expect(kept.equals(copy)).toBe(true);
    expect(randomPoolBytes(64 * 1024)).toHaveLength(64 * 1024);
  });

  it('keeps ids and trace ids unique and well-formed', () => {
    const ids = new Set(Array.from({ length: 10000 }, () => newId('evt')));
    expect(ids.size).toBe(10000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^evt_[0-9a-z]{21}$/);
    expect(newTraceparent()).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
