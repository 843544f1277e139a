import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { PageQueryDto, type Page } from '../common/pagination';
import { CreateEndpointDto, EndpointPage, EndpointView, EndpointWithSecretView, UpdateEndpointDto } from './endpoints.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/endpoints')
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Post()
  @ApiCreatedResponse({ type: EndpointWithSecretView, description: 'The signing secret is shown only in this answer' })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateEndpointDto): Promise<EndpointWithSecretView> {
    return this.endpoints.create(caller.accountId, dto);
  }

  @Get()
  @ApiOkResponse({ type: EndpointPage })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<Page<EndpointView>> {
    return this.endpoints.list(caller.accountId, q);
  }

  @Get(':id')
  @ApiOkResponse({ type: EndpointView })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointView> {
    return this.endpoints.get(caller.accountId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: EndpointView })
  update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: UpdateEndpointDto): Promise<EndpointView> {
    return this.endpoints.update(caller.accountId, id, dto);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOkResponse({ type: EndpointWithSecretView, description: 'The new secret, shown once; deliveries carry signatures with both secrets until the old one expires' })
  rotateSecret(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointWithSecretView> {
    return this.endpoints.rotateSecret(caller.accountId, id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOkResponse({ type: EndpointView })
  enable(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointView> {
    return this.endpoints.setEnabled(caller.accountId, id, true);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOkResponse({ type: EndpointView })
  disable(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<EndpointView> {
    return this.endpoints.setEnabled(caller.accountId, id, false);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(caller.accountId, id);
  }
}
