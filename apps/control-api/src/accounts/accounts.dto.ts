import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope } from '../auth/caller';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI deploys' }) @IsString() @IsNotEmpty() @MaxLength(100) name!: string;
  @ApiPropertyOptional({ enum: API_KEY_SCOPES, default: 'read' }) @IsOptional() @IsIn(API_KEY_SCOPES) scope?: ApiKeyScope;
}

export class AccountView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() createdAt!: string;
}

export class ApiKeyView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: API_KEY_SCOPES }) scope!: ApiKeyScope;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) revokedAt!: string | null;
}

export class CreatedApiKeyView {
  @ApiProperty({ type: ApiKeyView }) apiKey!: ApiKeyView;
  @ApiProperty({ description: 'The key itself. Shown once: only its hash is stored.' }) key!: string;
}

export class ApiKeyPage {
  @ApiProperty({ type: [ApiKeyView] }) data!: ApiKeyView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
