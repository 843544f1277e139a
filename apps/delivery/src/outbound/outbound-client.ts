import { Agent, errors as undiciErrors } from 'undici';
import { checkDestination, type AllowList, type UrlPolicy } from '@hookstream/webhooks';
import { DestinationRefusedError, safeLookup, systemResolver, type Resolver } from './safe-lookup';
import { errorMessage } from '@hookstream/contracts';

export interface OutboundClientOptions {
  policy: UrlPolicy;
  allowList: AllowList;
  connectTimeoutMs: number;
  /** Bound on the whole attempt: connect, send, response headers and the kept part of the body. */
  timeoutMs: number;
  resolve?: Resolver;
  userAgent?: string;
}

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type OutboundErrorKind = 'refused' | 'timeout' | 'connection' | 'protocol';

export type OutboundResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string; latencyMs: number }
  | { kind: 'error'; error: OutboundErrorKind; message: string; latencyMs: number };

/** Response headers worth keeping in the attempt log (diagnosis, Retry-After, redirect targets). */
const KEPT_RESPONSE_HEADERS = ['content-type', 'content-length', 'retry-after', 'location', 'server', 'date', 'x-request-id'];
export const KEPT_BODY_BYTES = 4096;
/** Read this much past the kept part so the connection can be reused; beyond it, drop the socket. */
const DRAIN_BYTES = 64 * 1024;

export const DELIVERY_USER_AGENT = 'Hookstream-Webhooks/0.1';
/** URLs whose policy verdict is remembered; past this the memo starts over (bounded memory). */
const VERDICTS_KEPT = 10_000;

/** What the send path needs of a URL: the policy verdict and, when allowed, the parts undici wants. */
type UrlVerdict = { refused: string } | { refused: undefined; origin: string; path: string };

/**
 * The only way delivery talks to the outside world. Enforces the URL policy, refuses every
 * destination that is not public unicast (literal IPs here, DNS answers in the connector's
 * lookup), never follows redirects, and keeps alive one pool per origin.
 */
export class OutboundClient {
  private readonly agent: Agent;
  /**
   * The URL policy verdict is a pure function of the URL string (policy and allow list are fixed
   * per client; literal IPs are part of the string), so each endpoint URL is classified once, not
   * per send. Host names are still resolved and checked on every new connection (safeLookup).
   */
  private readonly verdicts = new Map<string, UrlVerdict>();

  constructor(private readonly opts: OutboundClientOptions) {
    this.agent = new Agent({
      connect: { timeout: opts.connectTimeoutMs, lookup: safeLookup(opts.resolve ?? systemResolver, opts.allowList) },
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      // undici 7 follows no redirect unless the redirect interceptor is composed in; we never do.
    });
  }

  /** Checks URL policy and a literal-IP host; undefined when the URL may be tried. */
  refusal(rawUrl: string): string | undefined {
    return this.verdict(rawUrl).refused;
  }

  private verdict(rawUrl: string): UrlVerdict {
    const known = this.verdicts.get(rawUrl);
    if (known) return known;
    // The same classifier control-api applies at save time (`@hookstream/webhooks`).
    const d = checkDestination(rawUrl, { url: this.opts.policy, allowList: this.opts.allowList });
    let v: UrlVerdict;
    if (d.ok) {
      const u = new URL(rawUrl);
      v = { refused: undefined, origin: u.origin, path: `${u.pathname}${u.search}` };
    } else {
      v = { refused: `refused: ${d.reasons.map((r) => r.message).join('; ')}` };
    }
    if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.clear();
    this.verdicts.set(rawUrl, v);
    return v;
  }

  async post(req: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const target = this.verdict(req.url);
    if (target.refused !== undefined) return { kind: 'error', error: 'refused', message: target.refused, latencyMs: 0 };

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new TimeoutError(`no complete answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
    try {
      const res = await this.agent.request({
        origin: target.origin,
        path: target.path,
        method: 'POST',
        headers: { 'user-agent': this.opts.userAgent ?? DELIVERY_USER_AGENT, ...req.headers },
        body: req.body,
        signal: abort.signal,
      });
      const headers: Record<string, string> = {};
      for (const name of KEPT_RESPONSE_HEADERS) {
        const v = res.headers[name];
        if (v !== undefined) headers[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 1000);
      }
      const body = await readHead(res.body);
      return { kind: 'response', status: res.statusCode, headers, body, latencyMs: elapsed() };
    } catch (err) {
      return { kind: 'error', ...describeError(err, abort.signal), latencyMs: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

type Body = AsyncIterable<Buffer> & { destroy(err?: Error): unknown };

/** The first 4 KiB as text; NULs are dropped because PostgreSQL text cannot hold them. */
async function readHead(body: Body): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (keptBytes < KEPT_BODY_BYTES) {
      const part = chunk.subarray(0, KEPT_BODY_BYTES - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    }
    if (seen > DRAIN_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(kept).toString('utf8').replaceAll('\u0000', '');
}

function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined && !(e instanceof DestinationRefusedError); i++) e = e.cause;
  return e;
}

function describeError(err: unknown, signal: AbortSignal): { error: OutboundErrorKind; message: string } {
  const cause = rootCause(err);
  if (cause instanceof DestinationRefusedError || err instanceof DestinationRefusedError) {
    return { error: 'refused', message: (cause as Error).message };
  }
  if (signal.aborted && signal.reason instanceof TimeoutError) return { error: 'timeout', message: signal.reason.message };
  if (err instanceof undiciErrors.ConnectTimeoutError) return { error: 'timeout', message: 'connect timed out' };
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return { error: 'timeout', message: err.message };
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  const message = errorMessage(cause);
  if (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)) {
    return { error: 'connection', message: `${code}: ${message}` };
  }
  return { error: 'protocol', message: code ? `${code}: ${message}` : message };
}
