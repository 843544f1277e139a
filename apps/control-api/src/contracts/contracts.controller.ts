import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { JsonSchema } from '@hookstream/schemas';
import { ContractsService, type EventTypeView } from './contracts.service';

// The rendered page is static, self-contained HTML: no script at all, inline styles only.
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Public, tenant-free documents for subscribers: the AsyncAPI document of the Kafka topics
 * (and its rendering), and the outbound webhook event types with schema and example.
 */
@ApiTags('contracts')
@Controller()
export class ContractsController {
  constructor(private readonly contracts: ContractsService) {}

  @Get('asyncapi.json')
  @ApiOkResponse({ description: 'AsyncAPI 3.0 document of every Kafka topic (generated from libs/contracts)' })
  asyncApi(): JsonSchema {
    return this.contracts.asyncApiDocument();
  }

  @Get('asyncapi')
  @ApiExcludeEndpoint()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', PAGE_CSP)
  @Header('x-content-type-options', 'nosniff')
  asyncApiPage(): string {
    return this.contracts.asyncApiHtml();
  }

  @Get('v1/event-types')
  @ApiOkResponse({ description: 'Every outbound webhook event type with its JSON Schema and an example (the `webhooks` section of this document, self-contained)' })
  eventTypes(): { data: EventTypeView[] } {
    return { data: this.contracts.outboundEventTypes() };
  }
}
