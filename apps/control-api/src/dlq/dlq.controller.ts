import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { ApiError, ApiErrorCode } from '../common/api-error';
import type { Page } from '../common/pagination';
import { DiscardDto, DlqMessageDetailView, DlqMessageView, DlqPage, DlqQueryDto } from './dlq.dto';
import { DlqService, type DlqActor } from './dlq.service';

function adminOf(caller: Caller): DlqActor {
  if (caller.scope !== 'admin') {
    throw new ApiError(ApiErrorCode.forbidden, 'dead letters need an admin-scoped API key (create one with an admin key, or the CLI: create-api-key --scope admin)', HttpStatus.FORBIDDEN);
  }
  return { accountId: caller.accountId, by: caller.keyId };
}

/**
 * Dead letters of the caller's account (read from the message value); messages whose account
 * cannot be read are for operators, through the CLI. Admin-scoped keys only, GET included: a dead
 * letter holds the raw payload.
 */
@ApiTags('dead letters')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@ApiForbiddenResponse({ description: 'not an admin-scoped API key' })
@Controller('v1/dlq/messages')
export class DlqController {
  constructor(private readonly dlq: DlqService) {}

  @Get()
  @ApiOkResponse({ type: DlqPage, description: 'Newest first; pending ones unless `state` says otherwise' })
  list(@CurrentCaller() caller: Caller, @Query() q: DlqQueryDto): Promise<Page<DlqMessageView>> {
    return this.dlq.list(adminOf(caller), q);
  }

  @Get(':id')
  @ApiOkResponse({ type: DlqMessageDetailView })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DlqMessageDetailView> {
    return this.dlq.get(adminOf(caller), id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DlqMessageView, description: 'Sent back to its original topic for the consumer group that failed (Kafka acknowledged)' })
  @ApiConflictResponse({ description: 'already replayed or discarded, or the dead letter names no consumer group' })
  replay(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DlqMessageView> {
    return this.dlq.replay(adminOf(caller), id);
  }

  @Post(':id/discard')
  @HttpCode(200)
  @ApiOkResponse({ type: DlqMessageView, description: 'Recorded as discarded, with who, when and why' })
  @ApiConflictResponse({ description: 'already replayed or discarded' })
  discard(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: DiscardDto): Promise<DlqMessageView> {
    return this.dlq.discard(adminOf(caller), id, dto.reason);
  }
}
