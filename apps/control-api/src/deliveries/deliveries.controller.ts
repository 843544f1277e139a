import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import type { Page } from '../common/pagination';
import { DeliveryDetailView, DeliveryPage, DeliveryQueryDto, EndpointHealthView, ReplayDto, ReplayView, SampleDto, SampleView, type DeliverySummary } from './deliveries.dto';
import { DeliveriesService } from './deliveries.service';

@ApiTags('deliveries')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @ApiOkResponse({ type: DeliveryPage, description: 'Newest first' })
  list(@CurrentCaller() caller: Caller, @Query() q: DeliveryQueryDto): Promise<Page<DeliverySummary>> {
    return this.deliveries.list(caller.accountId, q);
  }

  @Get(':id')
  @ApiOkResponse({ type: DeliveryDetailView })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeliveryDetailView> {
    return this.deliveries.get(caller.accountId, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: DeliveryDetailView, description: 'Due now: the delivery service sends it at its next poll (about a second). 409 for a succeeded delivery.' })
  retry(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<DeliveryDetailView> {
    return this.deliveries.retry(caller.accountId, id);
  }
}

/** Delivery operations on an endpoint (the endpoint's configuration is in EndpointsController). */
@ApiTags('endpoints')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/endpoints')
export class EndpointDeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Post(':id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayView, description: "Re-queues the endpoint's pending, failed, exhausted and cancelled deliveries created since the time" })
  replay(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: ReplayDto): Promise<ReplayView> {
    return this.deliveries.replay(caller.accountId, id, new Date(dto.since));
  }

  @Post(':id/sample')
  @HttpCode(200)
  @ApiOkResponse({ type: SampleView, description: 'One real, signed, unrecorded attempt with a sample event of the type' })
  sample(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: SampleDto): Promise<SampleView> {
    return this.deliveries.sample(caller.accountId, id, dto.eventType);
  }

  @Get(':id/health')
  @ApiOkResponse({ type: EndpointHealthView })
  health(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointHealthView> {
    return this.deliveries.health(caller.accountId, id);
  }
}
