import { Module } from '@nestjs/common';
import { SecretsService } from './secrets';
import { UrlPolicyService } from './url-policy';

@Module({ providers: [SecretsService, UrlPolicyService], exports: [SecretsService, UrlPolicyService] })
export class CommonModule {}
