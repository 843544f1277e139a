import autocannon from 'autocannon';

export interface LoadOptions {
  label: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** Requests per second over all connections; omitted = as fast as the server answers (closed loop). */
  overallRate?: number;
  /** Print a progress line every this many seconds. */
  progressEverySeconds?: number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  samples: number;
}

export interface LoadResult {
  label: string;
  connections: number;
  pipelining: number;
  targetRate: number | null;
  durationSeconds: number;
  requests: number;
  accepted2xx: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** 2xx answers per second over the whole run. */
  acceptedPerSecond: number;
  /** Autocannon's per-second request counts: how even the rate was. */
  perSecond: { mean: number; min: number; max: number; stddev: number };
  /** Our own histogram of 2xx latencies in ms, sub-millisecond precision, no coordinated-omission correction. */
  latencyMs: LatencySummary;
  /** Autocannon's own (1 ms resolution) percentiles, kept as a cross-check. */
  autocannonLatencyMs: { p50: number; p99: number; p999: number; max: number };
}

/** Percentiles by nearest rank over the recorded samples. */
export function summarise(samples: Float64Array): LatencySummary {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  const at = (q: number) => (n === 0 ? 0 : round3(s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]));
  let sum = 0;
  for (const v of s) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: n ? round3(s[n - 1]) : 0, mean: n ? round3(sum / n) : 0, samples: n };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Growable buffer of latencies, so a long run does not churn an array of boxed numbers. */
class Samples {
  private buf = new Float64Array(1 << 16);
  private n = 0;
  push(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

/**
 * One autocannon run (pipelining 1, HTTP/1.1 keep-alive). With `overallRate`, autocannon lets each
 * connection send its share of the per-second budget back to back at the start of every second,
 * then pauses: arrivals come as a burst per second, which is harsher on latency than a smooth rate.
 */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  const samples = new Samples();
  let seconds = 0;
  let ok = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
        body: o.body,
        connections: o.connections,
        pipelining: 1,
        duration: o.durationSeconds,
        overallRate: o.overallRate,
        // Autocannon's correction assumes a per-connection interval rounded up to 1 ms, which
        // inflates the histogram with synthetic samples; we report measured latencies as they are.
        ...(o.overallRate ? { ignoreCoordinatedOmission: true } : {}),
        timeout: 10,
      },
      (err, r) => {
        if (err) return reject(err);
        const codes: Record<string, number> = {};
        for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) codes[code] = (v as { count: number }).count;
        resolve({
          label: o.label,
          connections: o.connections,
          pipelining: 1,
          targetRate: o.overallRate ?? null,
          durationSeconds: r.duration,
          requests: r.requests.total,
          accepted2xx: r['2xx'],
          non2xx: r.non2xx,
          statusCodes: codes,
          errors: r.errors,
          timeouts: r.timeouts,
          acceptedPerSecond: Math.round(r['2xx'] / r.duration),
          perSecond: { mean: Math.round(r.requests.mean), min: r.requests.min, max: r.requests.max, stddev: Math.round(r.requests.stddev) },
          latencyMs: summarise(samples.view()),
          autocannonLatencyMs: { p50: r.latency.p50, p99: r.latency.p99, p999: r.latency.p99_9, max: r.latency.max },
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) {
        ok++;
        samples.push(responseTime);
      }
    });
    const every = o.progressEverySeconds ?? 5;
    instance.on('tick', () => {
      seconds++;
      if (seconds % every === 0 && seconds < o.durationSeconds) {
        process.stdout.write(`    ${o.label}: ${seconds}/${o.durationSeconds} s, ${ok} accepted so far\n`);
      }
    });
  });
}
