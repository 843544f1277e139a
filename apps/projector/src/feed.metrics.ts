import { Injectable, type OnModuleInit } from '@nestjs/common';
import { FeedWriterService } from '@hookstream/feed-store';
import { scrapeGauge } from '@hookstream/platform';

/** What the feed writer holds, read at scrape time. */
@Injectable()
export class FeedMetrics implements OnModuleInit {
  constructor(private readonly writer: FeedWriterService) {}

  onModuleInit(): void {
    const writer = this.writer;
    scrapeGauge({
      name: 'hookstream_feed_raw_rows_held',
      help: 'events.raw rows the feed writer holds for their verdict (FEED_RAW_HOLD_MS), not yet written',
      collect() {
        this.set(writer.heldRows);
      },
    });
  }
}
