import { Global, Module } from '@nestjs/common';
import { Authenticator } from './authenticator';
import { OrgAccessGuard, OperatorGuard } from './guards';
import { OrgDirectory } from './org-directory';

/** Authentication for every feature module: org token guard, operator guard, org lookups. */
@Global()
@Module({
  providers: [OrgDirectory, Authenticator, OrgAccessGuard, OperatorGuard],
  exports: [OrgDirectory, Authenticator, OrgAccessGuard, OperatorGuard],
})
export class AuthModule {}
