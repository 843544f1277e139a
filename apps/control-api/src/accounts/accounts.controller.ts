import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { CurrentCaller, type Caller } from '../auth/caller';
import { ApiError, ApiErrorCode } from '../common/api-error';
import { PageQueryDto, type Page } from '../common/pagination';
import { AccountView, ApiKeyPage, ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './accounts.dto';
import { AccountsService, accountView, apiKeyView } from './accounts.service';

@ApiTags('account')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get('account')
  @ApiOkResponse({ type: AccountView, description: 'The account the API key belongs to' })
  async me(@CurrentCaller() caller: Caller): Promise<AccountView> {
    return accountView(await this.accounts.getAccount(caller.accountId));
  }

  @Get('api-keys')
  @ApiOkResponse({ type: ApiKeyPage })
  list(@CurrentCaller() caller: Caller, @Query() q: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.accounts.listApiKeys(caller.accountId, q);
  }

  @Post('api-keys')
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    if (dto.scope === 'admin' && caller.scope !== 'admin') {
      throw new ApiError(ApiErrorCode.forbidden, 'only an admin-scoped key can create an admin-scoped key (the CLI makes the first: create-api-key --scope admin)', HttpStatus.FORBIDDEN);
    }
    const { apiKey, key } = await this.accounts.createApiKey(caller.accountId, dto.name, dto.scope ?? 'read');
    return { apiKey: apiKeyView(apiKey), key };
  }

  @Delete('api-keys/:id')
  @HttpCode(200)
  @ApiOkResponse({ type: ApiKeyView, description: 'The key, now revoked. Revoking is permanent.' })
  async revoke(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<ApiKeyView> {
    return apiKeyView(await this.accounts.revokeApiKey(caller.accountId, id));
  }
}
