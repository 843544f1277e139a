import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { PageQueryDto, type Page } from '../common/pagination';
import { CreateSourceDto, RotateTokenDto, SourcePage, SourceView, SourceWithTokenView, UpdateSourceDto } from './sources.dto';
import { SourcesService } from './sources.service';

@ApiTags('sources')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/sources')
export class SourcesController {
  constructor(private readonly sources: SourcesService) {}

  @Post()
  @ApiCreatedResponse({ type: SourceWithTokenView, description: 'The token and the URL with the token are shown only in this answer' })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateSourceDto): Promise<SourceWithTokenView> {
    return this.sources.create(caller.accountId, dto);
  }

  @Get()
  @ApiOkResponse({ type: SourcePage })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<Page<SourceView>> {
    return this.sources.list(caller.accountId, q);
  }

  @Get(':id')
  @ApiOkResponse({ type: SourceView })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<SourceView> {
    return this.sources.get(caller.accountId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: SourceView })
  update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: UpdateSourceDto): Promise<SourceView> {
    return this.sources.update(caller.accountId, id, dto);
  }

  @Post(':id/rotate-token')
  @HttpCode(200)
  @ApiOkResponse({ type: SourceWithTokenView, description: 'The new token, shown once; the old one works until the grace period ends' })
  rotateToken(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: RotateTokenDto): Promise<SourceWithTokenView> {
    return this.sources.rotateToken(caller.accountId, id, dto.gracePeriodSeconds);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.sources.remove(caller.accountId, id);
  }
}
