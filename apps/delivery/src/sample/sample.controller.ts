import { Body, Controller, HttpCode, HttpException, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AttemptService } from '../deliveries/attempt.service';
import { EndpointCache } from '../endpoints/endpoint-cache.service';
import { InternalTokenGuard } from './internal-token.guard';
import { sampleContent } from './sample-event';
import { SampleRequestDto, type SampleAnswer } from './sample.dto';

/**
 * "Send sample data", called by control-api: one synchronous attempt with a sample event,
 * answered with its outcome. Same URL policy, SSRF checks, signing and timeouts as real
 * deliveries; not recorded, not retried, and it bypasses the endpoint's queue and circuit
 * (the user is testing the endpoint right now).
 */
@Controller('internal/v1/endpoints')
@UseGuards(InternalTokenGuard)
export class SampleController {
  constructor(
    private readonly endpoints: EndpointCache,
    private readonly attempts: AttemptService,
  ) {}

  @Post(':endpointId/sample')
  @HttpCode(200)
  async sample(@Param('endpointId') endpointId: string, @Body() body: unknown): Promise<SampleAnswer> {
    const dto = plainToInstance(SampleRequestDto, body ?? {});
    const problems = validateSync(dto).flatMap((e) => Object.values(e.constraints ?? {}));
    if (problems.length > 0) throw new HttpException({ error: { code: 'bad_request', message: problems.join('; ') } }, HttpStatus.BAD_REQUEST);
    const endpoint = this.endpoints.get(endpointId);
    if (!endpoint) throw new HttpException({ error: { code: 'not_found', message: `endpoint ${endpointId} is not known to delivery` } }, HttpStatus.NOT_FOUND);

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
