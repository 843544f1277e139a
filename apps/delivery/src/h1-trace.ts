import { performance } from 'node:perf_hooks';
// TEMP (h1, not for commit): per-second trace of the delivery process.
export const h1 = { http: 0, httpN: 0, pub: 0, pubN: 0, rec: 0, recN: 0, claims: 0, claimed: 0, claimMs: 0, ins: 0, insMs: 0 };
let last = performance.eventLoopUtilization();
export function h1Start(stats: () => { inFlight: number; queued: number }): void {
  if (!process.env['H1_TRACE']) return;
  const t0 = Date.now();
  setInterval(() => {
    const elu = performance.eventLoopUtilization(last);
    last = performance.eventLoopUtilization();
    const s = stats();
    const f = (a: number, n: number) => (n ? (a / n).toFixed(1) : '-');
    // eslint-disable-next-line no-console
    console.log(`H1 t=${((Date.now() - t0) / 1000).toFixed(1)} elu=${elu.utilization.toFixed(2)} inFlight=${s.inFlight} queued=${s.queued} http=${h1.httpN}x${f(h1.http, h1.httpN)} pub=${h1.pubN}x${f(h1.pub, h1.pubN)} rec=${h1.recN}x${f(h1.rec, h1.recN)} claims=${h1.claims}/${h1.claimed}/${f(h1.claimMs, h1.claims)}ms ins=${h1.ins}x${f(h1.insMs, h1.ins)}`);
    for (const k of Object.keys(h1) as (keyof typeof h1)[]) h1[k] = 0;
  }, 500).unref();
}
