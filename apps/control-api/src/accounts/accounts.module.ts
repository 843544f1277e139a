import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';

@Module({ imports: [AuthModule], controllers: [AccountsController], providers: [AccountsRepository, AccountsService], exports: [AccountsService] })
export class AccountsModule {}
