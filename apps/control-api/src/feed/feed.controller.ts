import { Controller, Get, HttpStatus, Inject, Logger, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import { APP_CONFIG } from '@hookstream/platform';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { ApiError, ApiErrorCode } from '../common/api-error';
import type { Page } from '../common/pagination';
import type { ControlApiConfig } from '../control-api.config';
import { EventPage, EventStoryView, FeedQueryDto, type EventSummary } from './feed.dto';
import { FeedStreamService } from './feed-stream.service';
import { FeedService } from './feed.service';
import { SseConnection } from './sse-connection';

export const SSE_PING_MS = 15_000;

@ApiTags('events')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class FeedController {
  private readonly log = new Logger('FeedController');

  constructor(
    private readonly feed: FeedService,
    private readonly stream: FeedStreamService,
    @Inject(APP_CONFIG) private readonly config: ControlApiConfig,
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
  @ApiTooManyRequestsResponse({ description: '`too_many_streams`: the account already holds FEED_STREAM_MAX_PER_ACCOUNT streams on this server' })
  async live(@CurrentCaller() caller: Caller, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const max = this.config.FEED_STREAM_MAX_PER_ACCOUNT;
    const res = reply.raw;
    let ping: NodeJS.Timeout | undefined;
    const cleanup = () => {
      if (ping) clearInterval(ping);
      ping = undefined;
      unsubscribe?.();
    };
    const conn = new SseConnection(res, { maxBufferedBytes: this.config.FEED_STREAM_MAX_BUFFER_BYTES, maxStallMs: this.config.FEED_STREAM_MAX_STALL_MS }, (reason) => {
      this.stream.droppedSlowReaders++;
      this.log.warn({ accountId: caller.accountId, msg: `live stream dropped: ${reason}` });
      cleanup();
    });
    // Only ever called after subscribe() returned (a drop happens on a send, a close at shutdown).
    // It resolves once the tail reads from the end of the topics (resumed for a first listener), so
    // whatever is published after the stream opens is sent.
    const unsubscribe: (() => void) | undefined = await this.stream.subscribe(caller.accountId, {
      send: (summary) => conn.send(`event: event\ndata: ${JSON.stringify(summary)}\n\n`),
      congested: () => conn.congested,
      close: () => {
        cleanup();
        conn.close();
      },
    });
    if (!unsubscribe) {
      throw new ApiError(
        ApiErrorCode.tooManyStreams,
        `this account already has ${max} live stream(s) open on this server (FEED_STREAM_MAX_PER_ACCOUNT); close one, or reconnect later`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    // The client went away while the tail was being resumed: nothing to stream to.
    if (req.raw.destroyed || res.destroyed) {
      cleanup();
      return;
    }
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies (nginx) must not buffer a stream.
      'x-accel-buffering': 'no',
    });
    conn.send(': connected\n\n');
    ping = setInterval(() => conn.send(': ping\n\n'), SSE_PING_MS);
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
