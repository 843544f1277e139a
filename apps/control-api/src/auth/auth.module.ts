import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository } from './api-keys.repository';

@Module({ providers: [ApiKeysRepository, ApiKeyGuard], exports: [ApiKeysRepository, ApiKeyGuard] })
export class AuthModule {}
