import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { PageQueryDto, type Page } from '../common/pagination';
import { AutomationPage, AutomationView, CreateAutomationDto, UpdateAutomationDto } from './automations.dto';
import { AutomationsService } from './automations.service';

@ApiTags('automations')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/automations')
export class AutomationsController {
  constructor(private readonly automations: AutomationsService) {}

  @Post()
  @ApiCreatedResponse({ type: AutomationView })
  create(@CurrentCaller() caller: Caller, @Body() dto: CreateAutomationDto): Promise<AutomationView> {
    return this.automations.create(caller.accountId, dto);
  }

  @Get()
  @ApiOkResponse({ type: AutomationPage })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<Page<AutomationView>> {
    return this.automations.list(caller.accountId, q);
  }

  @Get(':id')
  @ApiOkResponse({ type: AutomationView })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<AutomationView> {
    return this.automations.get(caller.accountId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: AutomationView })
  update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() dto: UpdateAutomationDto): Promise<AutomationView> {
    return this.automations.update(caller.accountId, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse()
  async remove(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.automations.remove(caller.accountId, id);
  }
}
