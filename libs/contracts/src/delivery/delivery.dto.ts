import { IsIn, IsInt, IsISO8601, IsObject, IsOptional, IsString, Matches, Min } from 'class-validator';

export const DELIVERY_FORMATS = ['json', 'form'] as const;
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number];

/** One outbound call to make: produced by automation on `deliveries`, keyed by endpointId. */
export class DeliveryRequestDto {
  /** Deterministic from (eventId, endpointId) (`deliveryIds`): a redelivered event makes the same id. */
  @Matches(/^dlv_[0-9a-z]+$/) id!: string;
  /** Standard Webhooks `webhook-id`: identical on every retry. */
  @Matches(/^msg_[0-9a-z]+$/) webhookId!: string;
  @IsString() accountId!: string;
  @IsString() endpointId!: string;
  @IsString() eventId!: string;
  @IsString() eventType!: string;
  @IsISO8601({ strict: true }) eventTime!: string;
  /** The `data` member of the outbound JSON body. */
  @IsObject() data!: Record<string, unknown>;
  @IsIn(['subscription', 'rule', 'sample', 'replay']) cause!: 'subscription' | 'rule' | 'sample' | 'replay';
  @IsOptional() @IsString() causeId?: string;
  @IsISO8601({ strict: true }) createdAt!: string;
}

export const ATTEMPT_OUTCOMES = ['succeeded', 'failed', 'exhausted', 'endpoint_disabled', 'skipped'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Every attempt's outcome, on `delivery-results`, keyed by endpointId. */
export class DeliveryResultDto {
  @IsString() deliveryId!: string;
  @IsString() webhookId!: string;
  @IsString() accountId!: string;
  @IsString() endpointId!: string;
  @IsString() eventId!: string;
  @IsString() eventType!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsIn(ATTEMPT_OUTCOMES) outcome!: AttemptOutcome;
  @IsOptional() @IsInt() httpStatus?: number | null;
  @IsInt() latencyMs!: number;
  @IsOptional() @IsString() error?: string | null;
  @IsOptional() @IsISO8601({ strict: true }) nextAttemptAt?: string | null;
  @IsISO8601({ strict: true }) attemptedAt!: string;
}
