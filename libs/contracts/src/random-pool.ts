import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from a refilled pool: ids and trace ids are drawn on every event, and one
 * `randomBytes` call per id showed up as ~9 % of the gateway's CPU (a syscall-backed fill each).
 * Same CSPRNG, fewer, larger fills.
 */
const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

export function randomPoolBytes(n: number): Buffer {
  if (n > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(n));
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  // A copy: callers may keep it, and the pool is overwritten on the next refill.
  const out = Buffer.from(pool.subarray(offset, offset + n));
  offset += n;
  return out;
}
