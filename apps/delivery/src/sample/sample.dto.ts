import { IsString, Matches, MaxLength } from 'class-validator';

export class SampleRequestDto {
  @IsString() @MaxLength(100) @Matches(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, { message: 'eventType must look like purchase or contact.tag_added' })
  eventType!: string;
}

export interface SampleAnswer {
  webhookId: string;
  /** 'succeeded', 'failed' (a retry would follow for a real delivery) or 'endpoint_disabled' (410). */
  outcome: string;
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  response: { headers: Record<string, string>; body: string } | null;
}
