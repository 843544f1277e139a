import { Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { TestEventView } from '../feed/feed.dto';
import { TestEventsService } from './test-events.service';

@ApiTags('sources')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/sources')
export class TestEventsController {
  constructor(private readonly tests: TestEventsService) {}

  @Post(':id/test-event')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: TestEventView, description: "A sample event of the source's dialect, sent through the pipeline; watch it in the feed" })
  send(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<TestEventView> {
    return this.tests.send(caller.accountId, id);
  }
}
