import { Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import type { Page } from '../common/pagination';
import { EventPage, EventStoryView, FeedQueryDto, type EventSummary } from './feed.dto';
import { FeedStreamService } from './feed-stream.service';
import { FeedService } from './feed.service';

export const SSE_PING_MS = 15_000;

@ApiTags('events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class FeedController {
  constructor(
    private readonly feed: FeedService,
    private readonly stream: FeedStreamService,
  ) {}

  @Get()
  @ApiOkResponse({ type: EventPage, description: 'Newest first; filter by type, status, source, time range (received) and email' })
  list(@CurrentCaller() caller: Caller, @Query() q: FeedQueryDto): Promise<Page<EventSummary>> {
    return this.feed.list(caller.accountId, q);
  }

  /**
   * Server-Sent Events: `event: event` + `data: <EventSummary>` for every feed row of the account
   * that is inserted or changes status, `: ping` every 15 s. Authorised by the Authorization
   * header (read with fetch() streaming), so the key never appears in a URL or a log line.
   */
  @Get('stream')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'text/event-stream of `event: event` / `data: EventSummary` frames' })
  live(@CurrentCaller() caller: Caller, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies (nginx) must not buffer a stream.
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    let ping: NodeJS.Timeout | undefined;
    let unsubscribe: () => void = () => undefined;
    const cleanup = () => {
      if (ping) clearInterval(ping);
      ping = undefined;
      unsubscribe();
    };
    unsubscribe = this.stream.subscribe(caller.accountId, {
      send: (summary) => {
        if (!res.writableEnded) res.write(`event: event\ndata: ${JSON.stringify(summary)}\n\n`);
      },
      close: () => {
        cleanup();
        if (!res.writableEnded) res.end();
      },
    });
    ping = setInterval(() => {
      if (!res.writableEnded) res.write(': ping\n\n');
    }, SSE_PING_MS);
    req.raw.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
  }

  @Get(':id')
  @ApiOkResponse({ type: EventStoryView, description: "The event's full story: raw request, canonical event, enrichment, rejection, duplicate, deliveries with attempts" })
  story(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EventStoryView> {
    return this.feed.story(caller.accountId, id);
  }
}
