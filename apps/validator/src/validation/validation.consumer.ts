import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { dtoCheck, RawEventDto, Topics } from '@hookstream/contracts';
import { PermanentMessageError, type InboundMessage } from '@hookstream/kafka';
import { validateSync } from 'class-validator';

import { ValidationService } from './validation.service';

/** RawEventDto's decorators as one standalone check: validateSync runs only to word the problems of a bad envelope. */
const envelopeIsValid = dtoCheck(RawEventDto);

/**
 * Problems with the envelope the gateway wrote (not with the sender's payload, which the dialects
 * judge): such a message can never succeed. Empty when it is a usable RawEventDto.
 */
export function rawEventProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['a raw event must be a JSON object'];
  // The body is the sender's and is judged by the dialects; it never goes through class-transformer.
  const { body: _body, ...envelope } = value as Record<string, unknown>;
  const dto = Object.assign(new RawEventDto(), envelope);
  const problems = envelopeIsValid(dto) ? [] : validateSync(dto, { forbidUnknownValues: false }).flatMap((e) => Object.values(e.constraints ?? {}));
  const dedupe = envelope['dedupe'] as { fields?: unknown; windowSeconds?: unknown } | null | undefined;
  if (dedupe !== undefined && dedupe !== null) {
    if (!Array.isArray(dedupe.fields) || !dedupe.fields.every((f) => typeof f === 'string')) problems.push('dedupe.fields must be an array of strings');
    if (typeof dedupe.windowSeconds !== 'number' || !Number.isFinite(dedupe.windowSeconds) || dedupe.windowSeconds <= 0) {
      problems.push('dedupe.windowSeconds must be a positive number');
    }
  }
  return problems;
}

@Controller()
export class ValidationConsumer {
  private readonly log = new Logger(ValidationConsumer.name);
  constructor(private readonly validation: ValidationService) {}

  /**
   * One malformed message fails the batch as permanent before anything is written or sent: the
   * transport then replays the batch one message at a time, so only that message is dead-lettered.
   */
  @EventPattern(Topics.eventsRaw, { batch: true })
  async onRaw(@Payload() messages: InboundMessage<RawEventDto>[]): Promise<void> {
    for (const m of messages) {
      const problems = rawEventProblems(m.value);
      if (problems.length > 0) throw new PermanentMessageError(`${m.topic}[${m.partition}]@${m.offset}: invalid raw event: ${problems.join('; ')}`);
    }
    const r = await this.validation.process(messages);
    this.log.debug(`batch of ${messages.length}: ${r.valid} valid, ${r.rejected} rejected, ${r.duplicates} duplicate`);
  }
}
