import { Module } from '@nestjs/common';
import { AdminAuditController, AuditController, AuditJwksController } from './audit.controller';
import { AuditService } from './audit.service';

/**
 * Auditors: the org's audit feed, exports with the hash chain and signed digests, data-key
 * lineage, the digest JWKS, and the key list at an instant (`AuditService`, exported for
 * `GET …/customer-managed-keys?at=`). Needs the global InfrastructureModule and OidcModule.
 */
@Module({
  controllers: [AuditController, AdminAuditController, AuditJwksController],
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditApiModule {}
