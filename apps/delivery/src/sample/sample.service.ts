import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AttemptService } from '../attempts/attempt.service';
import { EndpointCache } from '../config-cache/endpoint.cache';
import { sampleContent } from './sample-event';
import { SampleRequestDto, type SampleAnswer } from './sample.dto';

/** A refused sample request: HTTP status and the `{"error": {code, message}}` body. */
export class SampleError extends Error {
  constructor(readonly status: 400 | 404, readonly code: 'bad_request' | 'not_found', message: string) {
    super(message);
  }
}

/**
 * "Send sample data", called by control-api: one synchronous attempt with a sample event,
 * answered with its outcome. Same URL policy, SSRF checks, signing and timeouts as real
 * deliveries; not recorded, not retried, and it bypasses the endpoint's queue and circuit
 * (the user is testing the endpoint right now).
 */
@Injectable()
export class SampleService {
  constructor(
    private readonly endpoints: EndpointCache,
    private readonly attempts: AttemptService,
  ) {}

  async send(endpointId: string, body: unknown): Promise<SampleAnswer> {
    const dto = plainToInstance(SampleRequestDto, body ?? {});
    const problems = validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {}));
    if (problems.length > 0) throw new SampleError(400, 'bad_request', problems.join('; '));
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new SampleError(404, 'not_found', `endpoint ${endpointId} is not known to delivery`);

    const now = new Date();
    const run = await this.attempts.attempt(endpoint, sampleContent(dto.eventType, endpoint.snapshot.accountId, now), 1, now);
    const { result, decision } = run;
    return {
      webhookId: run.webhookId,
      outcome: decision.outcome === 'exhausted' ? 'failed' : decision.outcome,
      httpStatus: decision.httpStatus,
      latencyMs: result.latencyMs,
      error: decision.error,
      response: result.kind === 'response' ? { headers: result.headers, body: result.body } : null,
    };
  }
}
