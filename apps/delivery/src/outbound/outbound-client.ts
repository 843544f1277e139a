import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
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
export const KEPT_RESPONSE_HEADERS = ['content-type', 'content-length', 'retry-after', 'location', 'server', 'date', 'x-request-id'];
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

  /**
   * One POST through undici's dispatch API: the response's status and kept headers, and at most
   * the first 4 KiB of its body, are taken straight from the parser's callbacks. (`agent.request`
   * wrapped every response in a Readable stream, an AbortSignal and an async iterator: a third of
   * the client's CPU per request in `npm run bench -- outbound`; bench/README.md, session 20.)
   */
  post(req: OutboundRequest): Promise<OutboundResult> {
    const target = this.verdict(req.url);
    if (target.refused !== undefined) return Promise.resolve({ kind: 'error', error: 'refused', message: target.refused, latencyMs: 0 });
    return new Promise<OutboundResult>((resolve) => {
      const exchange = new Exchange(resolve, this.opts.timeoutMs);
      try {
        this.agent.dispatch(
          { origin: target.origin, path: target.path, method: 'POST', headers: { 'user-agent': this.opts.userAgent ?? DELIVERY_USER_AGENT, ...req.headers }, body: req.body },
          exchange,
        );
      } catch (err) {
        exchange.fail(err);
      }
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The handler of one POST: settles once, with the response (status, kept headers, first 4 KiB of
 * the body) or the error. The whole-attempt timer aborts the exchange wherever it is: queued for a
 * connection, connecting, sending, or reading.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | undefined;
  private timedOut: TimeoutError | undefined;
  private settled = false;
  private status = 0;
  private headers: Record<string, string> = {};
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private seen = 0;

  constructor(
    private readonly resolve: (r: OutboundResult) => void,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = new TimeoutError(`no complete answer within ${timeoutMs} ms`);
      // Not started yet (queued, or connecting): onRequestStart aborts it before anything is sent.
      this.controller?.abort(this.timedOut);
      this.settle({ kind: 'error', error: 'timeout', message: this.timedOut.message, latencyMs: this.elapsed() });
    }, timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.timedOut) controller.abort(this.timedOut);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: informational, the answer follows
    this.status = statusCode;
    const kept: Record<string, string> = {};
    for (const name of KEPT_RESPONSE_HEADERS) {
      const v = headers[name];
      if (v !== undefined) kept[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 1000);
    }
    this.headers = kept;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.seen += chunk.length;
    if (this.keptBytes < KEPT_BODY_BYTES) {
      const part = chunk.subarray(0, KEPT_BODY_BYTES - this.keptBytes);
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    // Past DRAIN_BYTES the connection is not worth keeping: drop it, the answer is what was kept.
    if (this.seen > DRAIN_BYTES && !this.settled) {
      this.settleResponse();
      controller.abort(new Error('response body past the drain limit; connection dropped'));
    }
  }

  onResponseEnd(): void {
    this.settleResponse();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settle({ kind: 'error', ...describeError(err), latencyMs: this.elapsed() });
  }

  private settleResponse(): void {
    // NULs are dropped because PostgreSQL text cannot hold them.
    const body = Buffer.concat(this.kept).toString('utf8').replaceAll('\u0000', '');
    this.settle({ kind: 'response', status: this.status, headers: this.headers, body, latencyMs: this.elapsed() });
  }

  private settle(r: OutboundResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(r);
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}

function rootCause(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined && !(e instanceof DestinationRefusedError); i++) e = e.cause;
  return e;
}

function describeError(err: unknown): { error: OutboundErrorKind; message: string } {
  const cause = rootCause(err);
  if (cause instanceof DestinationRefusedError || err instanceof DestinationRefusedError) {
    return { error: 'refused', message: (cause as Error).message };
  }
  if (err instanceof TimeoutError) return { error: 'timeout', message: err.message };
  if (err instanceof undiciErrors.ConnectTimeoutError) return { error: 'timeout', message: 'connect timed out' };
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return { error: 'timeout', message: err.message };
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  const message = errorMessage(cause);
  if (code && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code)) {
    return { error: 'connection', message: `${code}: ${message}` };
  }
  return { error: 'protocol', message: code ? `${code}: ${message}` : message };
}
