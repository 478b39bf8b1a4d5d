import { Global, Module } from '@nestjs/common';
import { OrgAccessGuard, OperatorGuard } from './guards';
import { OrgDirectory } from './org-directory';

/** Authentication for every feature module: org token guard, operator guard, org lookups. */
@Global()
@Module({
  providers: [OrgDirectory, OrgAccessGuard, OperatorGuard],
  exports: [OrgDirectory, OrgAccessGuard, OperatorGuard],
})
export class AuthModule {}
