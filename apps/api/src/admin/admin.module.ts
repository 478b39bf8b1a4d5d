import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller';
import { ADMIN_COMMAND_HANDLERS } from './commands';
import { OrgService } from './org.service';

/**
 * Operator routes `/api/admin/orgs…`: organisations, editions and access tokens. Needs
 * `EVENT_STORE` (InfrastructureModule), the operator guard and `OrgDirectory` (AuthModule) and
 * the CqrsModule.
 */
@Module({
  controllers: [AdminController],
  providers: [OrgService, ...ADMIN_COMMAND_HANDLERS],
})
export class AdminModule {}
